#!/bin/sh
# Packs on the S3 remote (dv-remote(5)), against the real S3 store of
# tests/servers/s3.sh: pushes killed by SIGKILL at several points then
# rerun; gc keeping young packed objects, repacking with a reader in
# between, and deleting retired packs in a later gc after the grace; a
# loose remote still readable, mixed, then repacked; kept indexes of
# retired packs pruned.  The killed pushes' trees live in memory (lib-s3.sh
# in_memory).
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

. "$DV_SOURCE_DIR/tests/cli/lib-s3.sh"
s3_test_start t3411

for point in build pack index objects; do
test_case "a push killed by SIGKILL (at: $point) and rerun loses and duplicates nothing" '
	in_memory kill-'$point' && new_s3_repo kill-'$point' t3411/kill-'$point' && cd kill-'$point' &&
	dv remote modify s3 pack_size 32K &&
	small_files k 1000 '$point' && dv add -q k && git add -A && git commit -q -m k &&
	if [ '$point' = objects ]; then
		expect_code 137 env DV_TEST_KILL_AFTER=700 "$DV" push -q
	else
		expect_code 137 env DV_TEST_PACK_KILL='$point' "$DV" push -q
	fi &&
	seen=$(packed_once t3411/kill-'$point') &&
	echo "visible after the kill: $seen" &&
	test "$seen" -lt 1001 &&
	if [ '$point' != objects ]; then ls -A .dv/packs | grep -q "\.tmp-"; fi &&
	dv push -q &&
	test -z "$(ls -A .dv/packs | grep "\.tmp-")" &&
	test "$(packed_once t3411/kill-'$point')" -eq 1001 &&
	cd .. && in_memory clone-'$point' && git clone -q kill-'$point' clone-'$point' && cd clone-'$point' &&
	dv pull -q && diff -r k ../kill-'$point'/k
'
done

test_case 'gc keeps the unreferenced objects of packs indexed within gc.remote_grace' '
	rm -rf gcw && new_s3_repo gcw t3411/gc && cd gcw &&
	small_files g 300 old && dv add -q g && git add -A && git commit -q -m v1 &&
	dv push -q &&
	cd .. && rm -rf reader && git clone -q gcw reader && cd gcw &&
	rm -rf g && small_files g 300 old && small_files g 200 new &&
	dv add -q g && git add -A && git commit -q -m v2 && dv push -q &&
	keys t3411/gc | sort >keys-before &&
	dv gc -w -c -f >gc.out && cat gc.out &&
	assert_contains gc.out "kept 201 unreferenced objects on remote '"'"'s3'"'"' pushed less than 1d ago" &&
	keys t3411/gc | sort >keys-after &&
	test_cmp keys-before keys-after
'

test_case 'gc repacks a mostly-garbage pack; a reader that read the old index still gets its objects' '
	cd gcw &&
	dv config gc.remote_grace 0 &&
	keys t3411/gc | grep "\.idx\$" | sort >idx-before
	# The reader reads the indexes, then waits while gc runs.
	(cd ../reader && DV_TEST_PACK_PAUSE="$TRASH/pause" dv pull -q >../reader.out 2>&1; echo $? >../reader.rc) &
	for i in $(seq 1 200); do [ -e "$TRASH/pause.ready" ] && break; sleep 0.1; done &&
	test -e "$TRASH/pause.ready" &&
	dv gc -w -c -f >gc.out &&
	cat gc.out &&
	keys t3411/gc | grep "\.idx\$" | sort >idx-after &&
	! test_cmp idx-before idx-after >/dev/null &&
	keys t3411/gc | grep -q "\.dead\$" &&
	touch "$TRASH/pause.go" && wait &&
	cat ../reader.out && test "$(cat ../reader.rc)" = 0 &&
	(cd ../reader && test $(ls g | wc -l) -eq 300 && dv status --exit-code >/dev/null) &&
	test "$(packed_once t3411/gc)" -eq 301 &&
	cd .. && rm -rf after && git clone -q gcw after && cd after && dv pull -q && diff -r g ../gcw/g
'

test_case 'kept indexes of retired packs go when the listing is read again; those another remote lists stay' '
	cd reader &&
	keys t3411/gc | grep "\.idx\$" | sed "s|.*/||" | sort >listed &&
	ls .dv/packs | grep "\.idx\$" | sort >kept-before &&
	test -n "$(comm -23 kept-before listed)" &&
	dv remote add other "s3://$S3_BUCKET/t3411/other" >/dev/null &&
	dv remote modify other endpoint "$S3_ENDPOINT" &&
	dv status -c -r other >/dev/null &&
	ls .dv/packs | grep "\.idx\$" | sort >kept-other &&
	test_cmp kept-before kept-other &&
	dv status -c >/dev/null &&
	ls .dv/packs | grep "\.idx\$" | sort >kept-after &&
	test_cmp listed kept-after
'

test_case 'a later gc deletes the retired packs once their tombstones are older than gc.remote_grace' '
	cd gcw &&
	npack=$(keys t3411/gc | grep -c "\.pack\$") &&
	dv config gc.remote_grace 1h &&
	dv gc -w -c -f &&
	test $(keys t3411/gc | grep -c "\.pack\$") -eq "$npack" &&
	dv config gc.remote_grace 0 &&
	dv gc -w -c -f &&
	keys t3411/gc >left &&
	assert_not_contains left ".dead" &&
	test $(grep -c "\.pack\$" left) -eq $(grep -c "\.idx\$" left) &&
	cd .. && rm -rf after2 && git clone -q gcw after2 && cd after2 && dv pull -q && diff -r g ../gcw/g
'

test_case 'a loose remote written before packs is read, then mixed, then repacked' '
	rm -rf loose && new_s3_repo loose t3411/loose && cd loose &&
	dv remote modify s3 pack_threshold 0 &&
	small_files l 50 loose && dv add -q l && git add -A && git commit -q -m l &&
	dv push -q &&
	keys t3411/loose >k1 && test $(grep -c /files/ k1) -eq 51 && assert_not_contains k1 packs/ &&
	dv config --unset remote.s3.pack_threshold &&
	small_files m 50 mixed && dv add -q m && git add -A && git commit -q -m m &&
	dv push -q &&
	keys t3411/loose >k2 && test $(grep -c /files/ k2) -eq 51 && grep -q "\.idx\$" k2 &&
	cd .. && rm -rf lc && git clone -q loose lc && cd lc && dv pull -q &&
	diff -r l ../loose/l && diff -r m ../loose/m && cd ../loose &&
	dv push --repack >out && cat out &&
	assert_contains out "51 loose objects moved into packs" &&
	keys t3411/loose >k3 && test $(grep -c /files/ k3) -eq 0 &&
	test "$(packed_once t3411/loose)" -eq 102 &&
	dv status -c | grep -q "in sync" &&
	cd .. && rm -rf lc2 && git clone -q loose lc2 && cd lc2 && dv pull -q &&
	diff -r l ../loose/l && diff -r m ../loose/m
'

test_case '--repack on a remote that cannot hold packs is refused' '
	cd loose &&
	mkdir -p "$TRASH/dirremote" &&
	dv remote add dir "$TRASH/dirremote" >/dev/null &&
	expect_error 2 "needs an S3 remote" dv push -r dir --repack
'

test_done
