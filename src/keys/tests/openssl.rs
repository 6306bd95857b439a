//! TEST ONLY keys written by OpenSSL 3.0 (the commands are above each one), so the key import
//! tests compare the crate with an independent tool. They were generated for these tests and
//! never used for anything else: never use them.

/// `openssl ecparam -name prime256v1 -genkey`: SEC1 with the curve parameters and the public key, after an `EC PARAMETERS` block.
pub(super) const ECPARAM_P256: &str = "\
-----BEGIN EC PARAMETERS-----\n\
BggqhkjOPQMBBw==\n\
-----END EC PARAMETERS-----\n\
-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEIDXiAQYqWF1T/h91kIhWNQj9a+kinREux+GjaWFI78zuoAoGCCqGSM49\n\
AwEHoUQDQgAErd0OwLCtI4z/8QqSUtxKRwgcjqz8cOqsA+2YbAsOq8s9R1gV0QmX\n\
nuYOyQxJmsun966c35zNDvC0JNOyTD1rqQ==\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl ec -in ECPARAM_P256 -pubout`.
pub(super) const ECPARAM_P256_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAErd0OwLCtI4z/8QqSUtxKRwgcjqz8\n\
cOqsA+2YbAsOq8s9R1gV0QmXnuYOyQxJmsun966c35zNDvC0JNOyTD1rqQ==\n\
-----END PUBLIC KEY-----\n\
";

/// `openssl pkey -in ECPARAM_P256`: the same key as PKCS#8.
pub(super) const ECPARAM_P256_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNeIBBipYXVP+H3WQ\n\
iFY1CP1r6SKdES7H4aNpYUjvzO6hRANCAASt3Q7AsK0jjP/xCpJS3EpHCByOrPxw\n\
6qwD7ZhsCw6ryz1HWBXRCZee5g7JDEmay6f3rpzfnM0O8LQk07JMPWup\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`: PKCS#8.
pub(super) const GENPKEY_P256: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIVPSS62kqg+hdfxk\n\
+q2HYhbITWCi1VYO275ZpiyQY2GhRANCAASTFk/FprCnPVkL9RG+gsJ7AQc27XqS\n\
el92P9XX3WkKGMY98tRtLKHkwZQywG4ezijQADaIdXzh8rlJ36rUDHdN\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl pkey -in GENPKEY_P256 -pubout`.
pub(super) const GENPKEY_P256_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkxZPxaawpz1ZC/URvoLCewEHNu16\n\
knpfdj/V191pChjGPfLUbSyh5MGUMsBuHs4o0AA2iHV84fK5Sd+q1Ax3TQ==\n\
-----END PUBLIC KEY-----\n\
";

/// `openssl ec -in GENPKEY_P256`: the same key as SEC1.
pub(super) const GENPKEY_P256_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MHcCAQEEICFT0kutpKoPoXX8ZPqth2IWyE1gotVWDtu+WaYskGNhoAoGCCqGSM49\n\
AwEHoUQDQgAEkxZPxaawpz1ZC/URvoLCewEHNu16knpfdj/V191pChjGPfLUbSyh\n\
5MGUMsBuHs4o0AA2iHV84fK5Sd+q1Ax3TQ==\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl genpkey -algorithm ed25519`: PKCS#8 v1.
pub(super) const GENPKEY_ED25519: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VwBCIEIOdBwxN9RU4zF9vFQTvY6VcqwXtVfwp+1KYTZEgauDe8\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl pkey -in GENPKEY_ED25519 -pubout`.
pub(super) const GENPKEY_ED25519_PUBLIC: &str = "\
-----BEGIN PUBLIC KEY-----\n\
MCowBQYDK2VwAyEABxn95p2R0ByCpNyo/MPxDZnOLRbMNPD2qW9SWeTHQIk=\n\
-----END PUBLIC KEY-----\n\
";

/// `openssl ec -in ECPARAM_P256 -no_public`.
pub(super) const NO_PUBLIC_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MDECAQEEIDXiAQYqWF1T/h91kIhWNQj9a+kinREux+GjaWFI78zuoAoGCCqGSM49\n\
AwEH\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl pkey -in NO_PUBLIC_SEC1`: PKCS#8 without the public key.
pub(super) const NO_PUBLIC_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MEECAQAwEwYHKoZIzj0CAQYIKoZIzj0DAQcEJzAlAgEBBCA14gEGKlhdU/4fdZCI\n\
VjUI/WvpIp0RLsfho2lhSO/M7g==\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl ec -in ECPARAM_P256 -conv_form compressed`.
pub(super) const COMPRESSED_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MFcCAQEEIDXiAQYqWF1T/h91kIhWNQj9a+kinREux+GjaWFI78zuoAoGCCqGSM49\n\
AwEHoSQDIgADrd0OwLCtI4z/8QqSUtxKRwgcjqz8cOqsA+2YbAsOq8s=\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl ec -in ECPARAM_P256 -param_enc explicit`: P-256 spelled out, not named.
pub(super) const EXPLICIT_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MIIBaAIBAQQgNeIBBipYXVP+H3WQiFY1CP1r6SKdES7H4aNpYUjvzO6ggfowgfcC\n\
AQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAAAAAAAAAAAAAA////////////////\n\
MFsEIP////8AAAABAAAAAAAAAAAAAAAA///////////////8BCBaxjXYqjqT57Pr\n\
vVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSdNgiG5wSTamZ44ROdJreBn36QBEEE\n\
axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpZP40Li/hp/m47n60p8D54W\n\
K84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA//////////+85vqtpxeehPO5ysL8\n\
YyVRAgEBoUQDQgAErd0OwLCtI4z/8QqSUtxKRwgcjqz8cOqsA+2YbAsOq8s9R1gV\n\
0QmXnuYOyQxJmsun966c35zNDvC0JNOyTD1rqQ==\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl ecparam -name secp384r1 -genkey -noout`.
pub(super) const P384_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MIGkAgEBBDBqrZocNS6YwgDVeHeFm5dk29DZKgDQwI02ycE67meygeSf7LvkssOp\n\
y0Sa3fOIZISgBwYFK4EEACKhZANiAAQI+IWhUrHt65MX2+YoazCgcaVNXQeb1w/Q\n\
U0rrHr5wQkHp2jSuDmZxfk/ZPnOLhSSC286/M93mPPWXav4egvM3oIe37dEHBWh1\n\
9vSTvPadGFJlB1u9Dx8omCtAwES0tB0=\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl pkey -in P384_SEC1`.
pub(super) const P384_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBqrZocNS6YwgDVeHeF\n\
m5dk29DZKgDQwI02ycE67meygeSf7LvkssOpy0Sa3fOIZIShZANiAAQI+IWhUrHt\n\
65MX2+YoazCgcaVNXQeb1w/QU0rrHr5wQkHp2jSuDmZxfk/ZPnOLhSSC286/M93m\n\
PPWXav4egvM3oIe37dEHBWh19vSTvPadGFJlB1u9Dx8omCtAwES0tB0=\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl ecparam -name secp256k1 -genkey -noout`.
pub(super) const SECP256K1_SEC1: &str = "\
-----BEGIN EC PRIVATE KEY-----\n\
MHQCAQEEIFLeyb63nu6bCJKXiyFBAoCCzHZKx1x1zkU0dlcLsPO0oAcGBSuBBAAK\n\
oUQDQgAEM0QoXiMjfhCyPztJLxsHUF7FrAsPrPfK9l7WFqpiv/NUQ4ZDRm6W6srJ\n\
39QwaY42x0QUmmyR1vaKafgHiu/0yQ==\n\
-----END EC PRIVATE KEY-----\n\
";

/// `openssl genpkey -algorithm x25519`.
pub(super) const X25519_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MC4CAQAwBQYDK2VuBCIEIPDMG71w4b2EyXQdeVIHSnUdLQuuAKlbm2a0QzTTz+BW\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512`.
pub(super) const RSA_PKCS8: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAzDQLD2FjQHm6hjfG\n\
xvqOugUtcYpn6O6c2G1IW8+rbjMmMXtLQQNt7/SUKwxPC7LCEX0dekfiDm/S6mia\n\
nJcwmwIDAQABAkBtkZtBpHLaHLbt363EBJtiyvZoTuiUfrwgEPtbcCG/HbNyEIGx\n\
6E7Coh2URs+py6qY/YQciXhKK7pwhUY8gBlJAiEA6xRP23AUyn+MVFBZdfARVpsA\n\
6QUSkqhRgWjYC2oyW90CIQDeYExwSUyTAjYWw2g8dAWAe4s+nO5H4Z2aqSIlWQiS\n\
1wIhAMrgIbcAeID2KLZPDZXR1DTI2rU/MnMtHgIv6FuZj9JlAiAUGdhO/hEx6K1C\n\
+X7emA43QvOfQUg4rygz5r3zakzgGQIhAJ5qX/juNy5qit2HK/v+PpxKc8ph31rq\n\
nC4VuKvbUBJs\n\
-----END PRIVATE KEY-----\n\
";

/// `openssl pkey -in RSA_PKCS8 -traditional`.
pub(super) const RSA_PKCS1: &str = "\
-----BEGIN RSA PRIVATE KEY-----\n\
MIIBOwIBAAJBAMw0Cw9hY0B5uoY3xsb6jroFLXGKZ+junNhtSFvPq24zJjF7S0ED\n\
be/0lCsMTwuywhF9HXpH4g5v0upompyXMJsCAwEAAQJAbZGbQaRy2hy27d+txASb\n\
Ysr2aE7olH68IBD7W3Ahvx2zchCBsehOwqIdlEbPqcuqmP2EHIl4Siu6cIVGPIAZ\n\
SQIhAOsUT9twFMp/jFRQWXXwEVabAOkFEpKoUYFo2AtqMlvdAiEA3mBMcElMkwI2\n\
FsNoPHQFgHuLPpzuR+GdmqkiJVkIktcCIQDK4CG3AHiA9ii2Tw2V0dQ0yNq1PzJz\n\
LR4CL+hbmY/SZQIgFBnYTv4RMeitQvl+3pgON0Lzn0FIOK8oM+a982pM4BkCIQCe\n\
al/47jcuaordhyv7/j6cSnPKYd9a6pwuFbir21ASbA==\n\
-----END RSA PRIVATE KEY-----\n\
";

/// `openssl pkey -in GENPKEY_P256 -aes128 -passout pass:test`.
pub(super) const ENCRYPTED_PKCS8: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----\n\
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAj0lDxgvEOi1gICCAAw\n\
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEAV6+2qtEgnbVRjmfzlFeikEgZBF\n\
L2SlLos+wojYvpjyZhbjeisTARaTHsjeGtK9goE1qxlTNmzIP5DhY7lyvHN7SrAW\n\
gRr/6NpAxUFGnJiFtpdm4r/8cU7zOS3Be7S3uzgAkSaUp1NPzNz24IaYPeX51dON\n\
TmY4KBaa56OFekhPxQN6TsvuE8vC2regypNl7rMghkAZEykrNKU/G5ww0JINruQ=\n\
-----END ENCRYPTED PRIVATE KEY-----\n\
";
