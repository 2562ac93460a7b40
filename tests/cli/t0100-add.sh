#!/bin/sh
# dv add: files and directories into the cache, .stage files, .gitignore,
# git index, link types.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

new_repo repo

test_case 'add a file writes a .stage with the xxhsum hash and size' '
	cd repo &&
	make_file data.csv 100000 a &&
	dv add data.csv &&
	test -f data.csv.stage &&
	cat >expect <<-EOT &&
	[out]
	path = data.csv
	hash = $(xxh128 data.csv)
	size = 100000
	EOT
	test_cmp expect data.csv.stage
'

test_case 'the object is in the cache, read-only, named by its hash' '
	cd repo &&
	h=$(xxhsum -H2 data.csv | cut -c1-32) &&
	obj=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	test -f $obj && cmp $obj data.csv &&
	test "$(stat -c %a $obj)" = 444
'

test_case 'add ignores the data in git and stages .stage and .gitignore' '
	cd repo &&
	grep -qx "/data.csv" .gitignore &&
	git diff --cached --name-only >staged &&
	assert_contains staged "data.csv.stage" &&
	assert_contains staged ".gitignore" &&
	! grep -qx "data.csv" staged
'

test_case 'adding again changes nothing and adds the .gitignore entry once' '
	cd repo &&
	cp data.csv.stage before &&
	dv add data.csv &&
	test_cmp before data.csv.stage &&
	test "$(grep -cx /data.csv .gitignore)" = 1
'

test_case 're-adding an unchanged file does not read it (stat cache)' '
	cd repo &&
	# A file written within the last few ms is "racy" and re-read once;
	# let it age past that window first.
	sleep 0.1 && dv add -q data.csv &&
	# LeakSanitizer cannot run under ptrace.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -e trace=openat,open -o trace "$DV" add data.csv &&
	grep -q "data.csv.stage" trace &&
	! grep -q "/data.csv\", O_RDONLY" trace &&
	! grep -q "\"data.csv\", O_RDONLY" trace
'

test_case 'a same-size rewrite right after add is still seen (racy clean)' '
	git init -q racy && cd racy && dv init -q &&
	echo aaaa >f && dv add -q f && echo bbbb >f &&
	expect_code 1 dv status --exit-code
'

test_case 'a modified file is recorded with its new hash' '
	cd repo &&
	make_file data.csv 2000 b &&
	dv add data.csv &&
	grep -q "hash = $(xxh128 data.csv)" data.csv.stage &&
	grep -q "size = 2000" data.csv.stage
'

test_case 'add a directory writes a manifest object and files = N' '
	cd repo &&
	mkdir -p images/sub &&
	for i in 1 2 3 4 5; do make_file images/img$i.bin 3000 $i; done &&
	make_file images/sub/deep.bin 10 d &&
	dv add images &&
	grep -q "files = 6" images.stage &&
	grep -q "size = 15010" images.stage &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)\.dir$/\1/p" images.stage) &&
	test -n "$h" &&
	m=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-).dir &&
	test -f $m &&
	test "$(xxhsum -H2 $m | cut -c1-32)" = "$h" &&
	grep -q " 644 sub/deep.bin$" $m &&
	test "$(wc -l <$m)" = 6
'

test_case 'manifest lines are sorted, with hash, size, mode and path' '
	cd repo &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)\.dir$/\1/p" images.stage) &&
	m=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-).dir &&
	cut -d" " -f4 $m >paths && LC_ALL=C sort paths >sorted && test_cmp sorted paths &&
	f=$(xxhsum -H2 images/img1.bin | cut -c1-32) &&
	grep -qx "$f 3000 644 img1.bin" $m
'

test_case 'executable files keep mode 755 in the manifest' '
	cd repo &&
	mkdir tools && printf "#!/bin/sh\necho hi\n" >tools/run.sh && chmod 755 tools/run.sh &&
	echo data >tools/readme && dv add tools &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)\.dir$/\1/p" tools.stage) &&
	m=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-).dir &&
	grep -q " 755 run.sh$" $m && grep -q " 644 readme$" $m
'

test_case 'paths with a newline or backslash are quoted in the manifest' '
	cd repo &&
	mkdir odd && echo 1 >"odd/back\\slash" && echo 2 >"odd/new
line" && dv add odd &&
	h=$(sed -n "s/^hash = xxh128:\(.*\)\.dir$/\1/p" odd.stage) &&
	m=.dv/cache/files/xxh128/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-).dir &&
	grep -qF "\"back\\\\slash\"" $m && grep -qF "\"new\\nline\"" $m
'

test_case 'add several paths at once, in a subdirectory' '
	cd repo && mkdir -p sub && cd sub &&
	echo one >a.txt && echo two >b.txt &&
	dv add a.txt b.txt &&
	test -f a.txt.stage && test -f b.txt.stage &&
	grep -qx /a.txt .gitignore && grep -qx /b.txt .gitignore
'

test_case 'cache.type hardlink links the workspace file to the object' '
	git init -q hl && cd hl && dv init -q &&
	dv config cache.type hardlink &&
	make_file big.bin 50000 h && dv add big.bin &&
	test "$(stat -c %h big.bin)" = 2 &&
	test ! -w big.bin || test "$(id -u)" = 0
'

test_case 'cache.type symlink leaves a symlink into the cache' '
	git init -q sl && cd sl && dv init -q &&
	dv config cache.type symlink &&
	make_file s.bin 5000 s && cp s.bin orig && dv add s.bin &&
	test -L s.bin && cmp s.bin orig &&
	case "$(readlink s.bin)" in .dv/o/[0-9a-f][0-9a-f]/*) ;; *) false ;; esac &&
	case "$(readlink -f s.bin)" in */.dv/cache/files/xxh128/*) ;; *) false ;; esac
'

test_case 'cache.type copy leaves an independent file' '
	git init -q cp && cd cp && dv init -q &&
	dv config cache.type copy &&
	make_file c.bin 5000 c && dv add c.bin &&
	test ! -L c.bin && test "$(stat -c %h c.bin)" = 1
'

test_case 'an unknown cache.type is a clear error' '
	git init -q badtype && cd badtype && dv init -q &&
	printf "[cache]\n\ttype = teleport\n" >>.dv/config &&
	echo x >f && expect_error 1 "teleport" dv add f &&
	test ! -e f.stage
'

test_done
