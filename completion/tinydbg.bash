# bash completion for tinydbg: its commands and trace's flags, with the
# values some flags take.
_tinydbg()
{
	local cur prev flags
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "trace exec attach help" -- "$cur"))
		return
	fi
	case $prev in
	-e | --exec | -o | --output | --trace-output | --folded | --listen)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-p | --pid)
		COMPREPLY=($(compgen -W "$(ps -eo pid= 2>/dev/null)" -- "$cur"))
		return ;;
	--engine)
		COMPREPLY=($(compgen -W "ptrace ebpf inproc" -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W "text json chrome" -- "$cur"))
		return ;;
	--color)
		COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
		return ;;
	help)
		COMPREPLY=($(compgen -W "trace exec attach" -- "$cur"))
		return ;;
	esac
	case ${COMP_WORDS[1]} in
	exec | attach)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--headless --listen --accept-multiclient --allow-remote --api-version --engine --ebpf --help" -- "$cur"))
		elif [[ ${COMP_WORDS[1]} == attach ]]; then
			COMPREPLY=($(compgen -W "$(ps -eo pid= 2>/dev/null)" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return ;;
	esac
	flags="--exec --pid --connect --test --output --build-flags --follow-calls --stack
		--timestamp --verbose --durations --ebpf --engine --ebpf-ring
		--follow-forks --syscalls --signals --format --color --summary
		--summary-only --folded --trace-output --seq-ids --max-functions
		--help"
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _tinydbg tinydbg
