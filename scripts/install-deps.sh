#!/usr/bin/env bash
# Installs what tinydbg needs to build and test, from Debian 12's packages.
# Run as root. Set WITH_BENCH=1 to add the peers the benchmarks compare with.
set -euo pipefail
pkgs=(
	build-essential gcc g++ clang make pkg-config
	libelf-dev libdw-dev libpcre2-dev libcapstone-dev libjson-c-dev
	gawk procps binutils
	libclang-rt-dev # libFuzzer (make fuzz-build); clang only recommends it
	golang-go delve # Go targets: built by tests and `trace [package]`, checked against Delve
	gdb # tests/e2e/stackfmt.sh checks inlined frames against gdb's bt
	libbpf-dev bpftool linux-libc-dev # the eBPF engine: libbpf, the skeleton generator, uapi headers for clang -target bpf
	libseccomp-dev # system calls: their names and numbers (--syscalls)
	strace # tests/e2e/syscalls.sh checks the decoding against strace's
	groff-base # tests/e2e/terminal.sh renders the man page
	libc6-dbg # libc's separate DWARF (/usr/lib/debug/.build-id): tests/e2e/debugfiles.sh
	libdebuginfod-dev debuginfod # debug files fetched from DEBUGINFOD_URLS; a server for the tests
)
if [[ ${WITH_BENCH:-0} == 1 ]]; then
	pkgs+=(ltrace uftrace bpftrace)
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}"
fi
