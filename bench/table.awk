# bench/table.awk — the markdown tables of bench/run.sh from its results file.
# Input: one line per case and round, "server=S topo=T period=P key=value ...".
# A case measured in several rounds (BENCH_ROUNDS) shows the median of its
# rounds for every figure, except the counts (xruns, missed cycles), which
# are summed over the rounds; the CPU table adds the rounds' range.
# Variable have: the servers measured, in order ("rill jackd2 pipewire").
function is_count(k) { return k == "xruns" || k == "late" || k == "gaps" }
# median (or sum, for counts) of key k over the rounds that did not fail
function val(s, t, p, k,   n, i, j, m, x, a) {
    m = 0
    for (i = 1; i <= N[s, t, p]; i++) {
        if (F[s, t, p, i] != "" || !((s, t, p, k, i) in V)) continue
        x = V[s, t, p, k, i] + 0
        for (j = m; j > 0 && a[j] > x; j--) a[j + 1] = a[j]
        a[j + 1] = x; m++
    }
    if (m == 0) return ""
    if (is_count(k)) { x = 0; for (i = 1; i <= m; i++) x += a[i]; return x }
    x = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    return x == int(x) && index(V[s, t, p, k, 1], ".") == 0 ? x : sprintf("%.1f", x)
}
# "min-max" of key k over the good rounds ("" with fewer than 2)
function range(s, t, p, k,   i, x, lo, hi, m) {
    m = 0
    for (i = 1; i <= N[s, t, p]; i++) {
        if (F[s, t, p, i] != "" || !((s, t, p, k, i) in V)) continue
        x = V[s, t, p, k, i] + 0
        if (m == 0 || x < lo) lo = x
        if (m == 0 || x > hi) hi = x
        m++
    }
    return m < 2 ? "" : sprintf(" (%.0f-%.0f)", lo, hi)
}
# the reason when every round failed, else ""
function failed(s, t, p,   i, why) {
    for (i = 1; i <= N[s, t, p]; i++) {
        if (F[s, t, p, i] == "") return ""
        why = F[s, t, p, i]
    }
    return why
}
function cell(s, t, p, k) {
    if (!((s, t, p) in SEEN)) return "-"
    if (failed(s, t, p) != "") return "fail (" failed(s, t, p) ")"
    if (val(s, t, p, k) == "") return "-"
    return val(s, t, p, k)
}
# "a / b" (and " / c" when c is given) of keys a, b, c, or the cell of a when
# it has no value or failed
function slash(s, t, p, a, b, c,   x) {
    x = cell(s, t, p, a)
    if (x ~ /^(-|fail)/) return x
    x = val(s, t, p, a) " / " val(s, t, p, b)
    return c == "" ? x : x " / " val(s, t, p, c)
}
function ratio(a, b) {
    if (a == "" || b == "" || b + 0 == 0) return "-"
    return sprintf("%.2f", a / b)
}
function label(s) { return s == "rill" ? "rill" : s == "jackd2" ? "jackd2" : "PipeWire" }
{
    s = t = p = ""
    for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "server") s = kv[2]
        else if (kv[1] == "topo") t = kv[2]
        else if (kv[1] == "period") p = kv[2]
    }
    n = ++N[s, t, p]
    for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        V[s, t, p, kv[1], n] = kv[2]
        if (kv[1] == "failed") F[s, t, p, n] = kv[2]
    }
    SEEN[s, t, p] = 1
    if (!((t, p) in CASE)) { CASE[t, p] = 1; ORDER[++ncase] = t SUBSEP p }
}
END {
    ns = split(have, S, " ")
    hasj = index(" " have " ", " jackd2 ") > 0
    hasp = index(" " have " ", " pipewire ") > 0

    print "### CPU time per cycle (µs): server + clients, all threads, from /proc"
    print ""
    if (rounds > 1) {
        print "Median of " rounds " rounds (the range of the rounds in brackets); the ratios are of the"
        print "medians. DSP load and latency below: medians; xruns and missed cycles: summed over the rounds."
        print ""
    }
    hdr = "| case | frames |"; sep = "|---|---|"
    for (i = 1; i <= ns; i++) { hdr = hdr " " label(S[i]) " |"; sep = sep "---|" }
    if (hasj) { hdr = hdr " rill/jackd2 |"; sep = sep "---|" }
    if (hasp) { hdr = hdr " rill/PipeWire |"; sep = sep "---|" }
    print hdr; print sep
    for (c = 1; c <= ncase; c++) {
        split(ORDER[c], tp, SUBSEP); t = tp[1]; p = tp[2]
        line = "| " t " | " p " |"
        for (i = 1; i <= ns; i++) line = line " " cell(S[i], t, p, "cpu_us") range(S[i], t, p, "cpu_us") " |"
        if (hasj) line = line " " ratio(val("rill", t, p, "cpu_us"), val("jackd2", t, p, "cpu_us")) " |"
        if (hasp) line = line " " ratio(val("rill", t, p, "cpu_us"), val("pipewire", t, p, "cpu_us")) " |"
        print line
    }
    print ""
    print "### DSP load (%, mean / max, jack_cpu_load), xruns (server reports) and missed cycles"
    print ""
    print "Missed: cycles whose last client ended more than one period after the cycle start,"
    print "plus cycles the last client never ran."
    print ""
    hdr = "| case | frames |"; sep = "|---|---|"
    for (i = 1; i <= ns; i++) { hdr = hdr " " label(S[i]) " load | xruns | missed |"; sep = sep "---|---|---|" }
    print hdr; print sep
    for (c = 1; c <= ncase; c++) {
        split(ORDER[c], tp, SUBSEP); t = tp[1]; p = tp[2]
        if (t == "idle") continue
        line = "| " t " | " p " |"
        for (i = 1; i <= ns; i++) {
            s = S[i]
            if (cell(s, t, p, "load_mean") ~ /^(-|fail)/) { line = line " " cell(s, t, p, "load_mean") " | - | - |"; continue }
            line = line " " val(s, t, p, "load_mean") " / " val(s, t, p, "load_max") " | " \
                val(s, t, p, "xruns") " | " (val(s, t, p, "late") + val(s, t, p, "gaps")) " |"
        }
        print line
    }
    print ""
    print "### First client's wake-up -> end of the last client (µs): mean / p99 / max"
    print ""
    print "Measured inside the clients (CLOCK_MONOTONIC at process entry and exit), the same way on"
    print "every server. It leaves out the server's own wake-up and its hand-off to the first client;"
    print "the last columns add them: from the server's cycle stamp (jack_get_cycle_times current_usecs)"
    print "to the end of the last client, mean / p99, for rill and PipeWire (jackd2's dummy driver"
    print "stamps an ideal timeline that drifts from its real wake-ups, so it has no such figure)."
    print ""
    hdr = "| case | frames |"; sep = "|---|---|"
    for (i = 1; i <= ns; i++) { hdr = hdr " " label(S[i]) " |"; sep = sep "---|" }
    if (hasj) { hdr = hdr " rill/jackd2 (mean) |"; sep = sep "---|" }
    if (hasp) { hdr = hdr " rill/PipeWire (mean) |"; sep = sep "---|" }
    hdr = hdr " rill from cycle stamp |"; sep = sep "---|"
    if (hasp) { hdr = hdr " PipeWire from cycle stamp |"; sep = sep "---|" }
    print hdr; print sep
    for (c = 1; c <= ncase; c++) {
        split(ORDER[c], tp, SUBSEP); t = tp[1]; p = tp[2]
        if (t == "idle") continue
        line = "| " t " | " p " |"
        for (i = 1; i <= ns; i++) line = line " " slash(S[i], t, p, "span_mean", "span_p99", "span_max") " |"
        if (hasj) line = line " " ratio(val("rill", t, p, "span_mean"), val("jackd2", t, p, "span_mean")) " |"
        if (hasp) line = line " " ratio(val("rill", t, p, "span_mean"), val("pipewire", t, p, "span_mean")) " |"
        line = line " " cell("rill", t, p, "lat_mean") " / " cell("rill", t, p, "lat_p99") " |"
        if (hasp) line = line " " cell("pipewire", t, p, "lat_mean") " / " cell("pipewire", t, p, "lat_p99") " |"
        print line
    }
    print ""
    print "### A client's wait between two of its cycles (µs): shortest / 1st percentile"
    print ""
    print "From a client's process exit to its next process entry, over every client of the case."
    print "Each client runs once per cycle, so a spin before sleeping saves a wake-up only when it"
    print "lasts longer than this wait (doc/benchmarks.md, \"A bounded spin\")."
    print ""
    hdr = "| case | frames |"; sep = "|---|---|"
    for (i = 1; i <= ns; i++) { hdr = hdr " " label(S[i]) " |"; sep = sep "---|" }
    print hdr; print sep
    for (c = 1; c <= ncase; c++) {
        split(ORDER[c], tp, SUBSEP); t = tp[1]; p = tp[2]
        if (t == "idle") continue
        line = "| " t " | " p " |"
        for (i = 1; i <= ns; i++) line = line " " slash(S[i], t, p, "idle_min", "idle_p1") " |"
        print line
    }
}
