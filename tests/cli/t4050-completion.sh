#!/bin/sh
# Shell completion (contrib/completion): every command of the command table
# is offered by both the bash and the zsh script, and bash completes
# commands, options, remotes and revisions.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

BASH_COMP=$DV_SOURCE_DIR/contrib/completion/dv.bash
ZSH_COMP=$DV_SOURCE_DIR/contrib/completion/_dv
sed -n 's/^DV_COMMAND("\([a-z-]*\)".*/\1/p' "$DV_SOURCE_DIR/src/cli/commands.def" >commands
printf 'help\nversion\n' >>commands
# the words of _dv_commands="..." in the bash script, one a line
sed -n '/^_dv_commands="/,/"$/p' "$BASH_COMP" | tr -d '"' | sed 's/^_dv_commands=//' |
	tr ' ' '\n' | grep . >bash-commands

test_case 'every command in commands.def is completed by bash and by zsh' '
	test -s commands &&
	while read -r c; do
		grep -qx "$c" bash-commands || { echo "bash lacks $c"; exit 1; }
		grep -q "'"'"'$c:" "$ZSH_COMP" || { echo "zsh lacks $c"; exit 1; }
	done <commands
'

if ! command -v bash >/dev/null 2>&1; then
	test_skip 'bash completes commands, options and values' 'no bash'
else
# complete WORDS...: what bash would offer for the last word
complete_words() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		dv() { "$DV" "$@"; }
		_dv
		printf "%s\n" "${COMPREPLY[@]}"
	' complete "$BASH_COMP" "$@"
}

new_repo repo
test_case 'bash completes commands, options and values' '
	cd repo &&
	complete_words dv g >out && assert_contains out gc && assert_contains out get &&
	assert_not_contains out add &&
	complete_words dv gc --all- >out &&
	assert_contains out --all-branches && assert_contains out --all-commits &&
	assert_contains out --all-tags &&
	dv remote add -q store ../store &&
	complete_words dv gc -c -r "" >out && assert_contains out store &&
	git tag v1 &&
	complete_words dv diff "" >out && assert_contains out v1 && assert_contains out main &&
	complete_words dv remote "" >out && assert_contains out modify &&
	complete_words dv remote ren >out && assert_contains out rename &&
	complete_words dv remote rename "" >out && assert_contains out store &&
	complete_words dv remote rename store "" >out && ! grep -q . out &&
	complete_words dv stage add --al >out && assert_contains out --always-changed &&
	complete_words dv -C . fs >out && assert_contains out fsck
'
fi

if command -v zsh >/dev/null 2>&1; then
	test_case 'the zsh script parses' 'zsh -n "$ZSH_COMP"'
else
	test_skip 'the zsh script parses' 'no zsh'
fi

test_done
