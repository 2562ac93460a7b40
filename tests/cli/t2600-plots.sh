#!/bin/sh
# dv plots: outs marked plot = true drawn as one HTML page plus an SVG per
# plot (show), each git revision as its own series (diff), properties
# edited in the [out] section (modify, stage add --plot), metric trends
# across commits (metrics), --json, and the errors a user can run into.
. "$DV_SOURCE_DIR/tests/cli/test-lib.sh"

# A training stage writing a loss curve, predictions, class scores and a
# confusion matrix; LOSS_SCALE and N change what it writes.
new_repo repo
cd repo
cat >train.sh <<'EOF'
#!/bin/sh
scale=${LOSS_SCALE:-1}
awk -v s="$scale" 'BEGIN { print "epoch,loss,acc"; for (i = 1; i <= 20; i++) printf "%d,%.6f,%.4f\n", i, s / i, 1 - 1 / (i + 1) }' >log.csv
awk 'BEGIN { print "actual,predicted"; for (i = 0; i < 50; i++) printf "%d,%.3f\n", i, i + sin(i) * 3 }' >pred.csv
printf 'class,precision,recall\ncat,0.9,0.8\ndog,0.7,0.75\n' >classes.csv
printf 'actual,predicted,count\ncat,cat,40\ncat,dog,10\ndog,cat,5\ndog,dog,45\n' >confusion.csv
EOF
chmod +x train.sh
"$DV" stage add -q -n train -d train.sh --plot log.csv --plot pred.csv -t scatter -x actual -y predicted \
	--title "Predicted vs actual" --plot classes.csv --plot confusion.csv -t confusion ./train.sh
"$DV" repro -q
git add -A && git commit -q -m "first run"
cd ..

test_case 'stage add --plot writes the plot properties after plot = true' '
	cd repo &&
	sed -n "/^path = pred.csv/,/^title/p" train.stage >pred &&
	printf "path = pred.csv\ncache = false\nplot = true\ntemplate = scatter\nx = actual\ny = predicted\ntitle = Predicted vs actual\n" >expect &&
	test_cmp expect pred &&
	sed -n "/^path = confusion.csv/,/^hash/p" train.stage >cm && grep -qx "template = confusion" cm
'

test_case 'plots show writes index.html and one SVG per plot, and says where' '
	cd repo && dv plots show >out &&
	test "$(cat out)" = "file://$(pwd)/dv_plots/index.html" &&
	for f in index.html log.svg pred.svg classes.svg confusion.svg; do test -s dv_plots/$f || exit 1; done &&
	test "$(grep -c "<svg " dv_plots/index.html)" = 4 &&
	head -1 dv_plots/log.svg | grep -q "^<?xml" &&
	grep -q "Content-Security-Policy" dv_plots/index.html &&
	! grep -Eq "<script|src=\"http|href=\"http" dv_plots/index.html
'

test_case 'defaults: x is the epoch field, y every other numeric field' '
	cd repo && dv plots show --json log.csv >j &&
	python3 - <<-EOF
	import json
	[p] = json.load(open("j"))["plots"]
	assert p["template"] == "linear" and p["x"] == "epoch" and p["y"] == ["loss", "acc"], p
	assert [s["label"] for s in p["series"]] == ["loss", "acc"], p["series"]
	assert p["series"][0]["x"] == list(range(1, 21)) and p["series"][0]["y"][1] == 0.5
	EOF
'

test_case 'a field of names makes bars; a confusion plot counts its pairs' '
	cd repo && dv plots show --json classes.csv confusion.csv >j &&
	python3 - <<-EOF
	import json
	bars, cm = json.load(open("j"))["plots"]
	assert bars["template"] == "bar" and bars["x_categories"] == ["cat", "dog"], bars
	m = cm["matrices"][0]
	assert m["rows"] == ["cat", "dog"] and m["cells"] == [[40, 5], [10, 45]], m
	EOF
'

test_case '-o chooses the directory; a file that is not an out can be a target' '
	cd repo && mkdir -p sub && printf "step,value\n0,1\n1,3\n" >sub/extra.csv &&
	cd sub && dv plots show -o ../report extra.csv >out && cd .. &&
	test -s report/sub_extra.svg && test "$(grep -c "<svg " report/index.html)" = 1
'

test_case 'plots diff: each revision is its own labelled series' '
	cd repo && LOSS_SCALE=3 dv repro -q -f &&
	dv plots diff --json >j &&
	python3 - <<-EOF
	import json
	plots = {p["source"]: p for p in json.load(open("j"))["plots"]}
	labels = [s["label"] for s in plots["log.csv"]["series"]]
	assert labels == ["HEAD: loss", "HEAD: acc", "workspace: loss", "workspace: acc"], labels
	head, ws = plots["log.csv"]["series"][0], plots["log.csv"]["series"][2]
	assert head["y"][0] == 1 and ws["y"][0] == 3, (head["y"][0], ws["y"][0])
	assert [m["label"] for m in plots["confusion.csv"]["matrices"]] == ["HEAD", "workspace"]
	EOF
	dv plots diff -o d >/dev/null && grep -q "workspace: loss</text>" d/log.svg &&
	grep -q "HEAD: loss</text>" d/log.svg
'

test_case 'plots diff A B compares two commits; --target limits the plots' '
	cd repo && git add -A && git commit -q -m "second run" &&
	dv plots diff HEAD~1 HEAD --target log.csv --json >j &&
	python3 - <<-EOF
	import json
	[p] = json.load(open("j"))["plots"]
	assert [s["label"] for s in p["series"]][::2] == ["HEAD~1: loss", "HEAD: loss"], p["series"]
	EOF
'

test_case 'a plot absent at one revision has no series there, no error' '
	cd repo && printf "step,v\n0,1\n1,2\n" >new.csv &&
	dv stage add -q -n extra --plot new.csv "true" && dv plots diff --json >j 2>err &&
	test ! -s err &&
	python3 -c "
import json
p = [p for p in json.load(open(\"j\"))[\"plots\"] if p[\"source\"] == \"new.csv\"][0]
assert [s[\"label\"] for s in p[\"series\"]] == [\"workspace: v\"], p
"
'

test_case 'plots modify edits the properties and keeps the file canonical' '
	cd repo && dv plots modify log.csv -y loss -t smooth --title "Loss; per epoch" --y-label "cross-entropy" >out &&
	assert_contains out "Modified train.stage" &&
	sed -n "/^path = log.csv/,/^y_label/p" train.stage >got &&
	printf "path = log.csv\ncache = false\nplot = true\ntemplate = smooth\ny = loss\ntitle = Loss; per epoch\ny_label = cross-entropy\n" >expect &&
	test_cmp expect got &&
	dv plots modify log.csv -y acc -y loss --unset title >/dev/null &&
	sed -n "/^path = log.csv/,/^$/p" train.stage >got &&
	grep -c "^y = " got | grep -qx 2 && ! grep -q "^title" got &&
	dv status --exit-code train &&
	git diff --cached --name-only | grep -qx train.stage
'

test_case 'a title inih would cut is written quoted and read back whole' '
	cd repo && dv plots modify log.csv --title "  loss ; lower is better" >/dev/null &&
	grep -qx "title = \"  loss \\\\x3b lower is better\"" train.stage &&
	dv plots show --json log.csv >j &&
	python3 -c "
import json
assert json.load(open(\"j\"))[\"plots\"][0][\"title\"] == \"  loss ; lower is better\"
"
'

test_case 'modify marks a plain out as a plot' '
	cd repo && dv stage add -q -n other -O other.csv "printf \"a,b\n1,2\n\" >other.csv" && dv repro -q other &&
	dv plots modify other.csv -x a >out && assert_contains out "is now a plot" &&
	grep -qx "plot = true" other.stage && dv plots show --json other.csv >j && grep -q "\"x\": \"a\"" j
'

test_case 'bad properties and arguments are refused with the fix' '
	cd repo &&
	expect_error 2 "unknown plot template '"'"'pie'"'"'" dv plots modify log.csv -t pie &&
	expect_error 2 "unknown property" dv plots modify log.csv --unset colour &&
	expect_error 2 "follow the --plot PATH" dv stage add -n z -x a --plot z.csv true &&
	expect_error 1 "not tracked" dv plots modify nothing.csv &&
	expect_error 2 "needs a subcommand" dv plots &&
	expect_error 2 "--target is for" dv plots show --target log.csv &&
	dv plots modify log.csv -x nope >/dev/null &&
	expect_code 1 dv plots show log.csv 2>err &&
	assert_contains err "warning: plot '"'"'log.csv'"'"' has no field '"'"'nope'"'"' (its fields: epoch, loss, acc)" &&
	dv plots modify log.csv --unset x >/dev/null
'

test_case 'an unreadable plot is a warning; the others are still drawn (exit 1)' '
	cd repo && cp log.csv log.bak && printf "" >log.csv &&
	expect_code 1 dv plots show -o broken 2>err &&
	assert_contains err "warning: cannot read plot '"'"'log.csv'"'"'" &&
	test "$(grep -c "<svg " broken/index.html)" -ge 4 &&
	mv log.bak log.csv
'

test_case 'plots metrics draws one line per metric across commits (gaps where not yet run)' '
	cd repo && printf "#!/bin/sh\necho \"{\\\"acc\\\": \$ACC, \\\"name\\\": \\\"x\\\"}\" >m.json\n" >m.sh && chmod +x m.sh &&
	dv stage add -q -n m -d m.sh -m m.json ./m.sh && git add -A && git commit -q -m "declared, not run" &&
	ACC=0.5 dv repro -q m && git add -A && git commit -q -m m1 &&
	ACC=0.75 dv repro -q -f m && git add -A && git commit -q -m m2 &&
	ACC=0.9 dv repro -q -f m &&
	dv plots metrics --json >j 2>err && test ! -s err &&
	python3 - <<-EOF
	import json
	[p] = json.load(open("j"))["plots"]
	assert p["title"] == "acc" and p["source"] == "m.json", p
	y = p["series"][0]["y"]
	assert y[-3:] == [0.5, 0.75, 0.9] and all(v is None for v in y[:-3]), y
	assert p["x_categories"][-1] == "workspace" and len(p["x_categories"]) == len(y)
	EOF
	dv plots metrics -A -o trends >/dev/null && test -s trends/index.html
'

test_done
