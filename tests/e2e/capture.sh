# The capture plans (src/capture/), checked on the real fixtures: with
# TINYDBG_CAPTURE_CHECK=1 the ptrace engine runs each probe's plan at the
# hit and the debugger formats from the copy it made, as the engines that
# do not stop the target will. A representative set of the end-to-end
# files must pass exactly as in a plain run: C values on every compiler
# variant, Go values at every -v level, generics, --stack (the unwinder
# walks the copied stack), --follow-calls (call-site operands), IFUNCs,
# tail calls, depths, C++ standard types. Whatever a plan misses prints as unreadable there.
# (A probe whose values cannot be captured gets no plan and is read live:
# that is the engines' fallback, a stop.)
# A check mode of the ptrace engine: under the others it would only run
# these files once more.
[[ ${TINYDBG_ENGINE:-ptrace} == ptrace ]] || return 0
export TINYDBG_CAPTURE_CHECK=1
pass() { echo "PASS capture-check: $*" >>"$RESULTS"; }
fail() { echo "FAIL capture-check: $*" >>"$RESULTS"; echo "FAIL: capture-check: $*" >&2; }
for f in values govalues go gogen verbose follow ifunc stack stackfmt tailstack tailcall depth cxxstd; do
	echo "== capture-check: $f.sh"
	source "$ROOT/tests/e2e/$f.sh"
done
unset TINYDBG_CAPTURE_CHECK
