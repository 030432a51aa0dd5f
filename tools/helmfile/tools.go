//go:build tools

// Package tools pins helmfile, built only on request (tools/build.sh helmfile) as the
// baseline of bench/bench_helmfile.py; the sandbox and CI do not need it.
package tools

import _ "github.com/helmfile/helmfile"
