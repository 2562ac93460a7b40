#!/bin/sh
# Repositories written by an attacker: every escape found when dv was probed
# as one, each as a cloned repository (or a user's command in it), asserting
# that nothing is written outside the work tree, nothing into .git, no hook
# appears, no outside byte reaches the cache, and the error names the path.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

OUT=$TRASH/outside
STORE=$TRASH/evil-store
mkdir -p "$OUT"
echo "outside secret" >"$OUT/secret"

# hash_of STAGE: the hash line's value
hash_of() { sed -n 's/^hash = //p' "$1"; }
# no_hook: nothing dv could have put in .git/hooks, and the marker a hook
# would write is absent
no_hook() {
	! test -e .git/hooks/pre-commit &&
	! test -e .git/hooks/pre-push &&
	! test -e "$TRASH/pwned"
}
# outside_untouched: the outside directory holds only what the test put there
outside_untouched() {
	test "$(cd "$OUT" && find . | sort | tr '\n' ' ')" = ". ./secret "
}

test_case 'setup: the attacker pushes a hook payload and commits escaping .stage files' '
	git init -q evil && cd evil && dv init -q &&
	dv remote add -d store "$STORE" &&
	mkdir payload &&
	printf "#!/bin/sh\necho pwned >\"$TRASH/pwned\"\n" >payload/pre-commit &&
	chmod 755 payload/pre-commit &&
	echo data >file.bin &&
	mkdir -p tree/sub && echo x >tree/sub/x && echo y >tree/y &&
	dv add -q payload file.bin tree && dv push -q &&
	dir=$(hash_of payload.stage) && file=$(hash_of file.bin.stage) && size=$(wc -c <file.bin) &&
	dv remove -q payload.stage file.bin.stage && rm -rf payload file.bin &&
	ln -s .git g &&
	printf "[out]\npath = g/hooks\nhash = %s\nfiles = 1\n" "$dir" >g_hooks.stage &&
	ln -s "$OUT" link &&
	printf "[out]\npath = link/payload\nhash = %s\nsize = %s\n" "$file" "$size" >link_payload.stage &&
	rm -rf tree/sub && ln -s "$OUT" tree/sub && git add -f tree/sub &&
	git add -A && git commit -q -m "innocent looking data" &&
	git ls-files >../evil-files && cat ../evil-files
'

test_case 'pull of the clone writes no hook into .git through a symlinked parent' '
	git clone -q evil victim && cd victim &&
	test -L g && test -L link && test -L tree/sub &&
	expect_code 1 dv pull 2>err && cat err &&
	assert_contains err "g/hooks" &&
	assert_contains err "symlink" &&
	no_hook &&
	echo change >>README && git add README && git commit -q -m "hooks must not run" &&
	! test -e "$TRASH/pwned"
'

test_case 'pull writes nothing outside through a symlink to an outside directory' '
	cd victim &&
	expect_code 1 dv checkout 2>err && cat err &&
	assert_contains err "link/payload" &&
	outside_untouched
'

test_case 'a symlinked subdirectory inside a tracked directory does not redirect its files' '
	cd victim &&
	expect_code 1 dv checkout tree.stage 2>err && cat err &&
	assert_contains err "tree/sub" &&
	outside_untouched &&
	expect_code 1 dv checkout -f tree.stage 2>err &&
	outside_untouched
'

test_case 'each refused out is named once' '
	cd victim &&
	expect_code 1 dv checkout 2>err &&
	test "$(grep -c "g/hooks" err)" = 1
'

test_case 'a .stage path through a nested .git directory is refused when read' '
	cd victim &&
	mkdir -p sub && printf "[out]\npath = sub/.git/hooks\nhash = %s\nfiles = 1\n" "$(hash_of g_hooks.stage)" >sub/evil.stage &&
	expect_code 1 dv checkout sub/evil.stage 2>err && cat err &&
	assert_contains err "git directory" &&
	! test -e sub/.git &&
	printf "[out]\npath = .GIT/hooks\nhash = %s\nfiles = 1\n" "$(hash_of g_hooks.stage)" >sub/evil.stage &&
	expect_code 1 dv checkout sub/evil.stage 2>err && cat err &&
	assert_contains err "git directory" &&
	rm sub/evil.stage
'

test_case 'a manifest listing .git/config inside a tracked directory is refused' '
	cd victim &&
	printf "[core]\n\tfsmonitor = echo pwned >$TRASH/pwned\n" >"$TRASH/cfg" &&
	h=$(xxhsum -H2 "$TRASH/cfg" | cut -d" " -f1) && sz=$(wc -c <"$TRASH/cfg") &&
	mkdir -p .dv/cache/files/xxh128/$(echo $h | cut -c1-2) &&
	cp "$TRASH/cfg" .dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	printf "%s %s 644 .git/config\n" "$h" "$sz" >"$TRASH/manifest" &&
	m=$(xxhsum -H2 "$TRASH/manifest" | cut -d" " -f1) &&
	mkdir -p .dv/cache/files/xxh128/$(echo $m | cut -c1-2) &&
	cp "$TRASH/manifest" .dv/cache/files/xxh128/$(echo $m | cut -c1-2)/$(echo $m | cut -c3-).dir &&
	printf "[out]\npath = nested\nhash = xxh128:%s.dir\nfiles = 1\n" "$m" >nested.stage &&
	expect_code 1 dv checkout nested.stage 2>err && cat err &&
	assert_contains err ".git" &&
	! test -e nested/.git &&
	rm nested.stage
'

test_case 'repro does not delete or write an out through a symlink into .git' '
	cd victim &&
	echo keep >.git/hooks/post-update.sample.keep &&
	printf "[stage]\ncmd = echo hi >out.txt\n\n[out]\npath = g/hooks/post-update.sample.keep\n" >evil.stage &&
	expect_code 1 dv repro evil.stage 2>err && cat err &&
	assert_contains err "g/hooks" &&
	test "$(cat .git/hooks/post-update.sample.keep)" = keep &&
	! test -e out.txt &&
	rm evil.stage
'

test_case 'dv remove --outs does not delete through a symlink into .git' '
	cd victim &&
	ls .git/hooks >../hooks-before &&
	expect_code 1 dv remove --outs g_hooks.stage 2>err && cat err &&
	assert_contains err "g/hooks" &&
	ls .git/hooks >../hooks-after &&
	test_cmp ../hooks-before ../hooks-after
'

test_case 'dv add through a symlink to the outside is refused; no .stage or .gitignore lands outside' '
	cd victim &&
	expect_error 2 "outside the repository" dv add link/secret &&
	outside_untouched &&
	! test -e "$OUT/.gitignore"
'

test_case 'dv add of a directory holding a link to an outside file is refused; the bytes stay out of the cache' '
	cd victim &&
	mkdir -p mixed && echo fine >mixed/ok && ln -s "$OUT/secret" mixed/leak &&
	expect_error 1 "mixed/leak" dv add mixed &&
	! test -e mixed.stage &&
	s=$(xxhsum -H2 "$OUT/secret" | cut -d" " -f1) &&
	! test -e .dv/cache/files/xxh128/$(echo $s | cut -c1-2)/$(echo $s | cut -c3-)
'

test_case 'a link to a file inside the work tree is still tracked as the file' '
	cd victim &&
	rm mixed/leak && ln -s ../README mixed/readme &&
	dv add -q mixed &&
	grep -q "files = 2" mixed.stage
'

test_case 'dv add of a directory holding a link to a directory is refused (no loops)' '
	cd victim &&
	mkdir -p loop && echo a >loop/a && ln -s .. loop/up &&
	expect_error 1 "loop/up" dv add loop
'

test_case 'a .gitignore that is a symlink is not read into a file git stages' '
	cd victim &&
	mkdir -p keys && ln -s "$OUT/secret" keys/.gitignore &&
	echo k >keys/data.bin &&
	expect_error 1 "keys/.gitignore" dv add keys/data.bin &&
	test -L keys/.gitignore && ! test -e keys/data.bin.stage &&
	! git diff --cached | grep -q "outside secret"
'

test_case 'a .dv that is a symlink into .git or out of the tree is refused' '
	git init -q dvlink && cd dvlink &&
	ln -s .git .dv &&
	expect_error 1 "symlink" dv status &&
	rm .dv && ln -s "$OUT" .dv &&
	expect_error 1 "symlink" dv status &&
	outside_untouched
'

test_case 'stage add refuses an out or a dep through a symlink into .git or outside' '
	cd victim &&
	ln -s .git g2 &&
	expect_error 2 "g2/hooks/pre-push" dv stage add -n evil -o g2/hooks/pre-push true &&
	! test -e evil.stage &&
	expect_error 2 "outside the repository" dv stage add -n evil2 -d link/secret -o o2 cat link/secret &&
	! test -e evil2.stage &&
	no_hook
'

test_case 'a FIFO or a symlink named *.stage is not read as a stage, and hangs nothing' '
	git init -q fifo && cd fifo && dv init -q &&
	echo data >d.txt && dv add -q d.txt &&
	mkfifo trap.stage &&
	printf "[out]\npath = x\n" >"$TRASH/real.stage" && ln -s "$TRASH/real.stage" linked.stage &&
	timeout 20 "$DV" status >out 2>&1; echo "exit $?" >>out && cat out &&
	assert_contains out "exit 0" &&
	! grep -q "trap\|linked" out &&
	timeout 20 "$DV" repro -q
'

test_done
