#!/bin/sh
# dv checkout: restoring data from the cache, following git history,
# refusing to lose workspace changes, --relink, corrupt objects, and the
# stat cache entries of what it wrote (trusted once safe, not before).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'checkout restores a deleted file and directory' '
	cd repo &&
	make_file data.bin 20000 one && cp data.bin data.v1 &&
	mkdir d && echo a >d/a && echo b >d/b &&
	dv add -q data.bin d && git commit -q -m v1 &&
	rm -rf data.bin d &&
	dv checkout >out &&
	cmp data.bin data.v1 && test "$(cat d/a)" = a && test "$(cat d/b)" = b &&
	dv status --exit-code
'

test_case 'a same-size rewrite right after checkout is still seen' '
	cd repo &&
	rm -rf d && dv checkout d >/dev/null && echo z >d/a &&
	expect_code 1 dv status --exit-code &&
	dv checkout -f d >/dev/null && test "$(cat d/a)" = a
'

test_case 'the first status after a checkout does not read what it wrote' '
	cd repo &&
	# LeakSanitizer cannot run under ptrace.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" && export ASAN_OPTIONS &&
	# Written in the same moment as the state is saved: read once.
	rm -rf d && dv checkout d >/dev/null &&
	strace -f -e trace=openat,open -o trace "$DV" status --exit-code &&
	grep -q "d/a\", O_RDONLY" trace &&
	# Written long enough before the save (a big checkout): trusted.
	rm -rf d && DV_TEST_STATE_SAVE_DELAY_MS=150 dv checkout d >/dev/null &&
	strace -f -e trace=openat,open -o trace "$DV" status --exit-code &&
	! grep -q "d/a\", O_RDONLY" trace &&
	! grep -q "d/b\", O_RDONLY" trace
'

test_case 'checking out an older git revision restores the older bytes' '
	cd repo &&
	dv unprotect data.bin && make_file data.bin 30000 two && cp data.bin data.v2 &&
	dv add -q data.bin && git commit -q -m v2 &&
	git checkout -q HEAD~1 -- data.bin.stage &&
	dv checkout data.bin &&
	cmp data.bin data.v1 &&
	git checkout -q HEAD -- data.bin.stage &&
	dv checkout data.bin &&
	cmp data.bin data.v2
'

test_case 'whole-branch switch: git checkout then dv checkout' '
	cd repo &&
	git checkout -q -b other && dv unprotect d && echo c >d/c && echo A >d/a && dv add -q d &&
	git commit -q -m other &&
	git checkout -q main && dv checkout &&
	test ! -e d/c && test "$(cat d/a)" = a &&
	git checkout -q other && dv checkout &&
	test "$(cat d/c)" = c && test "$(cat d/a)" = A &&
	git checkout -q main && dv checkout
'

test_case 'a workspace change not in the cache is kept without -f' '
	cd repo &&
	dv unprotect data.bin && echo precious >data.bin &&
	expect_error 1 "data.bin" dv checkout &&
	grep -q "dv checkout -f" "$TEST_ROOT/stderr" &&
	test "$(cat data.bin)" = precious
'

test_case '-f discards the change' '
	cd repo &&
	dv checkout -f data.bin && cmp data.bin data.v2
'

test_case 'a workspace file whose bytes are in the cache is replaced freely' '
	cd repo &&
	dv unprotect data.bin && cp data.v1 data.bin &&
	dv checkout data.bin && cmp data.bin data.v2
'

test_case 'an extra file in a tracked directory is kept unless -f' '
	cd repo &&
	dv unprotect d && echo mine >d/extra &&
	expect_error 1 "d/extra" dv checkout d &&
	test -f d/extra &&
	dv checkout -f d && test ! -e d/extra
'

test_case 'a corrupt cache object is refused and the workspace left alone' '
	cd repo &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)$/\1/p" data.bin.stage) &&
	obj=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	dv unprotect data.bin && cp data.v1 data.bin &&
	chmod u+w $obj && printf "garbage" | dd of=$obj bs=1 seek=10 conv=notrunc 2>/dev/null &&
	expect_error 1 "corrupt" dv checkout data.bin &&
	grep -q "$(echo $h | cut -c3-)" "$TEST_ROOT/stderr" &&
	cmp data.bin data.v1
'

test_case '--relink redoes links with the current cache.type' '
	git init -q rl && cd rl && dv init -q &&
	make_file f.bin 4000 r && dv add -q f.bin &&
	test ! -L f.bin &&
	dv config cache.type symlink && dv checkout --relink f.bin &&
	test -L f.bin && dv status --exit-code
'

test_case 'checkout restores executable bits of files in a directory' '
	cd repo &&
	mkdir bin && printf "#!/bin/sh\necho ok\n" >bin/tool && chmod 755 bin/tool &&
	dv add -q bin && rm -rf bin && dv checkout bin &&
	test -x bin/tool && test "$(bin/tool)" = ok
'

test_case 'a directory of many files in many subdirectories checks out whole' '
	git init -q many && cd many && dv init -q &&
	i=0 && while [ $i -lt 600 ]; do
		mkdir -p big/s$((i % 40))/t$((i % 7)) && echo "file $i" >big/s$((i % 40))/t$((i % 7))/f$i
		i=$((i + 1))
	done &&
	find big -type f | sort | xargs cat >expect &&
	dv add -q big && rm -rf big &&
	dv checkout big 2>err && test ! -s err &&
	test "$(find big -type f | wc -l)" = 600 &&
	find big -type f | sort | xargs cat >actual && cmp expect actual &&
	dv status --exit-code
'

test_case 'a missing object in a large directory leaves the work tree untouched' '
	cd many &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)$/\1/p" big.stage) &&
	obj=$(printf "file 7\n" | xxhsum -H2 | cut -d" " -f1) &&
	rm -f .dv/cache/files/xxh128/$(echo $obj | cut -c1-2)/$(echo $obj | cut -c3-) &&
	rm -rf big &&
	expect_error 1 "big/s7/t0/f7" dv checkout big &&
	test ! -e big/s0/t0/f0
'

test_case 'an interrupted checkout leaves a file whole or absent, never partial' '
	cd repo &&
	make_file huge.bin 300000000 huge && dv add -q huge.bin &&
	want=$(xxh128 huge.bin) &&
	for sig in INT TERM; do
		rm -f huge.bin &&
		( "$DV" checkout huge.bin >/dev/null 2>&1 & pid=$!; sleep 0.1; kill -$sig $pid; wait $pid ) || true
		if [ -e huge.bin ]; then test "$(xxh128 huge.bin)" = "$want" || exit 1; fi
		test -z "$(find . -name ".*.tmp-*")" || exit 1
	done &&
	dv checkout huge.bin >/dev/null && dv status --exit-code huge.bin >/dev/null &&
	dv remove huge.bin >/dev/null && rm -f huge.bin
'

test_done
