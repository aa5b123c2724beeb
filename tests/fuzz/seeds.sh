#!/usr/bin/env bash
# seeds.sh OUT DWSEED: writes the seed corpora of the fuzz harnesses into
# OUT/corpus/{elf,dwarf,json}/ (run by tests/fuzz/fuzz.mk, from the root).
#   elf    the fixtures compiled by gcc and clang at -O0/-O2 (PIE, non-PIE,
#          endbr64), and stripped copies (symbols only, dynamic symbols only)
#   dwarf  the .debug_* sections of the same, in fuzz_dwarf's input format
#          (DWSEED: the build/fuzz/dwseed tool)
#   json   every C> and S> line of tests/rpc/*.rpc, one value per file, and
#          the wire objects of tests/fuzz/seeds/json/
# plus, for each, the inputs kept in tests/fuzz/regress/NAME/.
set -euo pipefail
out=$1 dwseed=$2
bin=$out/seed
# Built aside, then swapped in: a fuzzer may be reading the old one.
final=$out/corpus
out=$out/corpus.new.$$
trap 'rm -rf "$out"' EXIT
mkdir -p "$bin" "$out/corpus/elf" "$out/corpus/dwarf" "$out/corpus/json"

# compiler:opt:flags source — a small matrix: each source on a few variants.
variants=(
	"gcc:-O0:-fPIE -pie tests/fixtures/sym/symfix.c"
	"gcc:-O2:-fPIE -pie tests/fixtures/sym/symfix.c"
	"clang:-O0:-fno-pie -no-pie tests/fixtures/sym/symfix.c"
	"clang:-O2:-fPIE -pie tests/fixtures/sym/symfix.c"
	"g++:-O2:-fPIE -pie tests/fixtures/sym/symfix.cpp"
	"clang++:-O0:-fPIE -pie tests/fixtures/sym/symfix.cpp"
	"gcc:-O2:-fPIE -pie -fcf-protection=full tests/fixtures/c/tailcall.c"
	"clang:-O2:-fno-pie -no-pie tests/fixtures/c/tailcall.c"
	"gcc:-O0:-fno-pie -no-pie tests/fixtures/c/values.c"
	"clang:-O2:-fPIE -pie tests/fixtures/c/values.c"
	"g++:-O0:-fPIE -pie tests/fixtures/c/cpp.cpp"
)
for v in "${variants[@]}"; do
	IFS=: read -r cc opt rest <<<"$v"
	src=${rest##* } flags=${rest% *}
	base=$(basename "$src")
	name=${base%.*}-${base##*.}-$cc$opt
	$cc -g $opt $flags -Itests/fixtures/c -o "$bin/$name" "$src" -lpthread
	cp "$bin/$name" "$out/corpus/elf/$name"
	"$dwseed" "$bin/$name" >"$out/corpus/dwarf/$name"
done
# Without DWARF: symbol table only; dynamic symbols only.
strip --strip-debug -o "$out/corpus/elf/symfix-nodebug" "$bin/symfix-c-gcc-O2"
strip --strip-all -o "$out/corpus/elf/symfix-stripped" "$bin/symfix-c-gcc-O2"

n=0
for f in tests/rpc/*.rpc; do
	while IFS= read -r line; do
		case $line in
		"C> "* | "S> {"*) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		printf '%s\n' "${line#?> }" >"$out/corpus/json/$(basename "$f" .rpc)-$n"
	done <"$f"
done
cp tests/fuzz/seeds/json/* "$out/corpus/json/"

for h in elf dwarf json; do
	if [[ -d tests/fuzz/regress/$h ]]; then
		find "tests/fuzz/regress/$h" -type f ! -name '.*' -exec cp {} "$out/corpus/$h/" \;
	fi
done

rm -rf "$final.old"
[[ -d $final ]] && mv "$final" "$final.old"
mv "$out/corpus" "$final"
rm -rf "$final.old"
