# bash completion for dv                                   -*- shell-script -*-
#
# `cmake --install` puts it in <prefix>/share/bash-completion/completions/dv,
# where bash-completion looks for it; or source it from ~/.bashrc:
#     . /path/to/dv/contrib/completion/dv.bash
#
# Completes every command of `dv help`, each command's options, and their
# values: remote names for -r, git revisions for commands that compare
# revisions, .stage files and tracked paths for TARGETs, config keys.

_dv_commands="init add status commit checkout remove move unprotect config stage dag
repro params metrics plots remote push fetch pull gc diff fsck install uninstall merge-driver
get import update migrate freeze unfreeze root destroy check-ignore ls doctor import-url get-url exp queue help version"

# _dv_opts CMD [SUB]: the options of a command (and subcommand)
_dv_opts() {
	case $1 in
	init) echo "-f --force" ;;
	add | unprotect) echo "" ;;
	status) echo "--json --exit-code -c --cloud -r --remote -j --jobs" ;;
	commit) echo "-f --force" ;;
	checkout) echo "-f --force --relink" ;;
	remove) echo "--outs" ;;
	move) echo "" ;;
	config) echo "--system --global --project --local --unset --list --show-origin --json" ;;
	stage)
		case $2 in
		add) echo "-n --name -d --deps -o --outs -O --outs-no-cache -p --params -m --metrics
			--plot -x --x -y --y -t --template --title --x-label --y-label
			--persist --always-changed --desc -f --force" ;;
		list) echo "--all --json" ;;
		esac ;;
	dag) echo "--dot --mermaid --json" ;;
	repro) echo "-f --force -s --single-item -n --dry --downstream -j --jobs -k --keep-going
		--no-run-cache --pull -r --remote -P --all-pipelines" ;;
	params) echo "--all --json --md --precision" ;;
	metrics)
		case $2 in
		show) echo "-A --all-commits --json --md --precision" ;;
		diff) echo "--all --json --md --precision" ;;
		esac ;;
	plots)
		case $2 in
		show) echo "-o --out --json" ;;
		diff) echo "-o --out --json --target" ;;
		modify) echo "-x --x -y --y -t --template --title --x-label --y-label --unset" ;;
		metrics) echo "-A --all-commits -o --out --json" ;;
		esac ;;
	remote)
		case $2 in
		add) echo "-d --default --local -f --force" ;;
		list) echo "--json" ;;
		modify) echo "--local --unset" ;;
		default) echo "--local --unset" ;;
		esac ;;
	push) echo "-r --remote -j --jobs --all-commits --run-cache --verify-remote --json" ;;
	fetch) echo "-r --remote -j --jobs --all-commits --run-cache --json" ;;
	pull) echo "-r --remote -j --jobs --all-commits --run-cache -f --force --json" ;;
	gc) echo "-w --workspace -a --all-branches -T --all-tags -A --all-commits -c --cloud
		-r --remote -n --dry-run -f --force" ;;
	diff) echo "--json" ;;
	fsck) echo "-j --jobs --json" ;;
	install | uninstall) echo "" ;;
	get | import) echo "-o --out --rev -j --jobs" ;;
	update) echo "--rev -j --jobs" ;;
	migrate) echo "--from --no-commit -j --jobs" ;;
	freeze | unfreeze | root | doctor) echo "" ;;
	destroy) echo "-f --force" ;;
	check-ignore) echo "-d --details -n --non-matching" ;;
	ls) echo "--rev -R --recursive --dv-only --json" ;;
	import-url | get-url) echo "" ;;
	exp)
		case $2 in
		run) echo "-S --set-param -n --name -m --message -j --jobs --temp --queue -k --keep-going
			--random --seed --executor" ;;
		show) echo "--md --csv --json --sort-by --sort-order --only-changed --precision -A
			--all-branches -n --num --keep --drop" ;;
		list) echo "--names-only" ;;
		apply) echo "-f --force" ;;
		remove) echo "--all --queued" ;;
		save) echo "-n --name -m --message" ;;
		push | pull) echo "-f --force -r --remote --no-data" ;;
		esac ;;
	queue)
		case $2 in
		start) echo "-j --jobs" ;;
		remove) echo "--all" ;;
		stop) echo "--kill" ;;
		esac ;;
	esac
}

_dv_subcommands() {
	case $1 in
	stage) echo "add list" ;;
	params) echo "diff" ;;
	metrics) echo "show diff" ;;
	plots) echo "show diff modify metrics" ;;
	remote) echo "add list modify rename remove default" ;;
	exp) echo "run show diff list apply branch remove save push pull" ;;
	queue) echo "start status logs remove stop" ;;
	esac
}

_dv_remotes() {
	dv remote list 2>/dev/null | cut -f1
}

_dv_revisions() {
	git for-each-ref --format='%(refname:short)' refs/heads refs/tags refs/remotes 2>/dev/null
	echo HEAD
}

_dv_stage_files() {
	git ls-files -co --exclude-standard -- '*.stage' 2>/dev/null
}

_dv_config_keys() {
	echo "core.remote core.autostage cache.dir cache.type cache.protected"
	for r in $(_dv_remotes); do
		for k in url endpoint region profile access_key_id secret_access_key session_token \
			user port keyfile jobs multipart_chunk; do
			echo "remote.$r.$k"
		done
	done
}

_dv() {
	local cur prev cmd sub i words_left
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The command is the first word after the global options (-C DIR, -q, -v).
	cmd= sub=
	i=1
	while [ $i -lt "$COMP_CWORD" ]; do
		case ${COMP_WORDS[i]} in
		-C) i=$((i + 1)) ;;
		-*) ;;
		*)
			if [ -z "$cmd" ]; then
				cmd=${COMP_WORDS[i]}
			elif [ -z "$sub" ] && [ -n "$(_dv_subcommands "$cmd")" ]; then
				sub=${COMP_WORDS[i]}
			fi ;;
		esac
		i=$((i + 1))
	done

	if [ "$prev" = -C ]; then
		COMPREPLY=($(compgen -d -- "$cur"))
		return
	fi
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-C -q --quiet -v --verbose -h --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_dv_commands" -- "$cur"))
		fi
		return
	fi

	# Values of options that take one.  --rev names a revision of the
	# SOURCE repository, which completion cannot see.
	case $prev in
	-r | --remote)
		COMPREPLY=($(compgen -W "$(_dv_remotes)" -- "$cur")); return ;;
	--rev | -j | --jobs | --name | --desc)
		return ;;
	-n)
		[ "$cmd $sub" = "stage add" ] && return ;;
	-o | --out | --outs | -O | --outs-no-cache | -d | --deps | -m | --metrics | --plot | -p | --params | --target)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-t | --template)
		[ "$cmd" = plots ] || [ "$cmd $sub" = "stage add" ] &&
			COMPREPLY=($(compgen -W "linear scatter smooth bar confusion confusion_normalized" -- "$cur"))
		return ;;
	--unset)
		[ "$cmd" = plots ] && COMPREPLY=($(compgen -W "template x y title x_label y_label" -- "$cur"))
		[ "$cmd" = plots ] && return ;;
	-x | --x | -y | --y | --title | --x-label | --y-label | --precision)
		return ;;
	esac

	if [ -z "$sub" ] && [ -n "$(_dv_subcommands "$cmd")" ] && [[ $cur != -* ]]; then
		COMPREPLY=($(compgen -W "$(_dv_subcommands "$cmd")" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_dv_opts "$cmd" "$sub") -q --quiet -v --verbose -h --help" -- "$cur"))
		return
	fi
	case $cmd in
	help)
		COMPREPLY=($(compgen -W "$_dv_commands" -- "$cur")) ;;
	diff | params | metrics)
		COMPREPLY=($(compgen -W "$(_dv_revisions)" -- "$cur")) ;;
	plots)
		case $sub in
		diff) COMPREPLY=($(compgen -W "$(_dv_revisions)" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac ;;
	status | commit | checkout | remove | repro | push | fetch | pull | dag | update | freeze | unfreeze)
		COMPREPLY=($(compgen -W "$(_dv_stage_files)" -- "$cur") $(compgen -f -- "$cur")) ;;
	config)
		COMPREPLY=($(compgen -W "$(_dv_config_keys)" -- "$cur")) ;;
	remote)
		case $sub in
		modify | remove | default) COMPREPLY=($(compgen -W "$(_dv_remotes)" -- "$cur")) ;;
		# OLD is a remote; NEW is a name of the user's choosing.
		rename) [ "$prev" = rename ] && COMPREPLY=($(compgen -W "$(_dv_remotes)" -- "$cur")) ;;
		esac ;;
	get | import)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	gc | fsck | install | uninstall | init | version | root | destroy) ;;
	migrate)
		COMPREPLY=($(compgen -d -- "$cur")) ;;
	*)
		COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -o filenames -F _dv dv
