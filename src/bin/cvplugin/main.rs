//! `cvplugin`: the command-line tool for keys, tokens and configs (in progress).

fn main() {}
