// The recipe as a module, for vendors. CI builds it in GOPATH mode offline against Debian's
// golang-github-golang-jwt-jwt-v5-dev (see .ci/recipes.sh); `go mod tidy` fetches the same version.
module cvplugin.test/recipe

go 1.19

require github.com/golang-jwt/jwt/v5 v5.2.2
