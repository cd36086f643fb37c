#!/usr/bin/env bash
# Side by side: mediagraph, Apollo Server 4 + graphql-upload (bench/apollo)
# and a bare Go handler that only copies the file part to disk, each started
# in turn as a real process on a fresh database and media directory, driven
# by bench/load with the same flags, then stopped and cleaned up. One table
# at the end.
#
#   bench/sidebyside.sh upload 1MiB
#   bench/sidebyside.sh upload 20MiB
#   bench/sidebyside.sh page
#
# Environment (all optional):
#   N=300           measured requests per server (defaults: 300 for 1MiB,
#                   24 for 20MiB, 200 for page: smoke-sized)
#   D=30s           measure for a duration instead of N requests
#   C=8             concurrent clients
#   WARMUP=n        unmeasured requests first (load's default: one per client
#                   for uploads, four per client for pages)
#   SERVERS="mediagraph apollo bare"   which servers, in this order (bare
#                   is skipped in page mode: it has no gallery); bare-fsync
#                   is the bare handler flushing each file as mediagraph does
#   APOLLO_WORKERS=1  Node processes (node:cluster) for the Apollo server
#   MEDIA_FSYNC=true  passed to mediagraph (its default: files are flushed
#                   before their rows commit; the Apollo server never flushes)
#   PGURL=postgres://postgres@127.0.0.1:5432   the PostgreSQL to create the
#                   servers' databases on
#   PORT_BASE=18180 ports PORT_BASE+1..3
#   KEEP_LOGS=1     print where the servers' logs are and keep them
#   OUT=file        also append the raw RESULT lines (with date, commit and
#                   load average) to this file
set -euo pipefail

usage() { echo "usage: $0 upload 1MiB|20MiB|SIZE  or  $0 page" >&2; exit 2; }
MODE=${1:-}
SIZE=${2:-1MiB}
case $MODE in
upload) ;;
page) SIZE=- ;;
*) usage ;;
esac

cd "$(dirname "$0")/.."
root=$PWD
C=${C:-8}
SERVERS=${SERVERS:-mediagraph apollo bare}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
PORT_BASE=${PORT_BASE:-18180}
if [[ -z ${N:-} ]]; then
	case $MODE/$SIZE in
	page/*) N=200 ;;
	upload/20MiB) N=24 ;;
	*) N=300 ;;
	esac
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sidebyside.XXXXXX")
run_id=$$
dbs=()
server_pid=

stop_server() {
	[[ -n $server_pid ]] || return 0
	kill -TERM "$server_pid" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$server_pid" 2>/dev/null; then
		echo "pid $server_pid did not stop within 30 s of SIGTERM; killing it" >&2
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	wait "$server_pid" 2>/dev/null || true
	server_pid=
}

drop_dbs() {
	for db in "${dbs[@]}"; do
		psql "$PGURL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null || echo "could not drop database $db" >&2
	done
	dbs=()
}

cleanup() {
	status=$?
	stop_server
	drop_dbs
	if [[ -n ${KEEP_LOGS:-} ]]; then
		find "$work" -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name '*.out' -exec rm -rf {} +
		echo "logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME PORT READY_PATH CMD...: runs CMD in the background (exec'd,
# so that $! is the server itself) and waits until READY_PATH answers 200.
start_server() {
	local name=$1 port=$2 ready=$3
	shift 3
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "port $port is already in use; set PORT_BASE" >&2
		return 1
	fi
	"$@" >"$work/$name.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 600); do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "$name exited before it was ready:" >&2
			tail -n 30 "$work/$name.log" >&2
			server_pid=
			return 1
		fi
		if curl -fsS -o /dev/null "http://127.0.0.1:$port$ready" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "$name not ready after 60 s:" >&2
	tail -n 30 "$work/$name.log" >&2
	return 1
}

# new_db NAME creates a database (dropped again by drop_dbs) and sets dburl.
new_db() {
	local db=sidebyside_${1}_$run_id
	dbs+=("$db")
	psql "$PGURL/postgres" -qAt -c "CREATE DATABASE \"$db\"" >/dev/null
	dburl="$PGURL/$db?sslmode=disable"
}

echo "building mediagraph and bench/load..." >&2
go build -o "$work/mediagraph" ./server
go build -o "$work/load" ./bench/load
if [[ $SERVERS == *apollo* && ! -d bench/apollo/node_modules ]]; then
	echo "npm ci in bench/apollo..." >&2
	(cd bench/apollo && npm ci --no-audit --no-fund >&2)
fi

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(AUTH_JWT_SECRET=$secret "$work/mediagraph" token --sub sidebyside --name "Side by side")

load_flags=(-mode "$MODE" -c "$C" -token "$token")
[[ $MODE == upload ]] && load_flags+=(-size "$SIZE")
if [[ -n ${D:-} ]]; then load_flags+=(-d "$D"); else load_flags+=(-n "$N"); fi
[[ -n ${WARMUP:-} ]] && load_flags+=(-warmup "$WARMUP")

port=$PORT_BASE
for server in $SERVERS; do
	port=$((port + 1))
	url=http://127.0.0.1:$port/graphql
	case $server in
	mediagraph)
		new_db mediagraph
		mkdir -p "$work/mediagraph-media"
		start_server mediagraph "$port" /readyz env PORT="$port" DATABASE_URL="$dburl" \
			MEDIA_DIR="$work/mediagraph-media" AUTH_JWT_SECRET="$secret" \
			${MEDIA_FSYNC:+MEDIA_FSYNC=$MEDIA_FSYNC} "$work/mediagraph"
		;;
	apollo)
		new_db apollo
		mkdir -p "$work/apollo-media" "$work/apollo-tmp"
		# TMPDIR: graphql-upload buffers every upload in a temp file (fs-capacitor).
		start_server apollo "$port" /healthz env NODE_ENV=production PORT="$port" DATABASE_URL="$dburl" \
			MEDIA_DIR="$work/apollo-media" AUTH_JWT_SECRET="$secret" WORKERS="${APOLLO_WORKERS:-1}" \
			TMPDIR="$work/apollo-tmp" node bench/apollo/server.mjs
		;;
	bare)
		if [[ $MODE == page ]]; then
			echo "bare: skipped in page mode (it only stores uploads)" >&2
			continue
		fi
		start_server bare "$port" /healthz "$work/load" -serve-bare "127.0.0.1:$port" -dir "$work/bare-files"
		;;
	bare-fsync)
		if [[ $MODE == page ]]; then
			echo "bare-fsync: skipped in page mode (it only stores uploads)" >&2
			continue
		fi
		start_server bare-fsync "$port" /healthz "$work/load" -serve-bare "127.0.0.1:$port" -dir "$work/bare-files" -fsync
		;;
	*)
		echo "unknown server $server (want mediagraph, apollo or bare)" >&2
		exit 2
		;;
	esac
	echo "== $server (pid $server_pid) on $url" >&2
	if ! "$work/load" -url "$url" -label "$server" -pid "$server_pid" "${load_flags[@]}" | tee "$work/$server.out" >&2; then
		echo "$server: the load run FAILED; last lines of its log:" >&2
		tail -n 30 "$work/$server.log" >&2
		exit 1
	fi
	grep '^RESULT ' "$work/$server.out" >>"$work/results"
	stop_server
	drop_dbs
	rm -rf "$work"/*-media "$work/apollo-tmp" "$work/bare-files"
done

[[ -s $work/results ]] || exit 0
if [[ -n ${OUT:-} ]]; then
	{
		echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) mode=$MODE size=$SIZE c=$C $(if [[ -n ${D:-} ]]; then echo "d=$D"; else echo "n=$N"; fi) apollo_workers=${APOLLO_WORKERS:-1} load_average=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
		cat "$work/results"
	} >>"$OUT"
fi
echo
echo "mode $MODE, size $SIZE, $C clients, $(if [[ -n ${D:-} ]]; then echo "$D"; else echo "$N requests"; fi) per server; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk '
function val(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "-" }
BEGIN { print "server\trequests\ts\treq/s\tMiB/s\tp50 ms\tp90 ms\tp99 ms\tRSS before MiB\tpeak RSS MiB\tVmHWM MiB\tserver CPU ms/req" }
{
	mibps = val("mode") == "upload" ? val("mibps") : "-"
	print val("label") "\t" val("n") "\t" val("secs") "\t" val("rps") "\t" mibps "\t" val("p50_ms") "\t" val("p90_ms") "\t" val("p99_ms") "\t" val("rss_idle_mib") "\t" val("rss_peak_mib") "\t" val("hwm_mib") "\t" val("cpu_ms_per_req")
}' "$work/results" | column -t -s $'\t'

# mediagraph against Apollo, next to the product's bar.
awk -v mode="$MODE" -v size="$SIZE" '
function val(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
{ rps[val("label")] = val("rps"); mibps[val("label")] = val("mibps"); p99[val("label")] = val("p99_ms"); rss[val("label")] = val("rss_peak_mib") }
END {
	if (!("mediagraph" in rps) || !("apollo" in rps) || rps["apollo"] == 0) exit
	printf "\nmediagraph / apollo: req/s %.2fx", rps["mediagraph"] / rps["apollo"]
	if (mode == "upload") printf ", MiB/s %.2fx", mibps["mediagraph"] / mibps["apollo"]
	printf ", p99 %.2fx", p99["mediagraph"] / p99["apollo"]
	if (rss["apollo"] > 0) printf ", peak RSS %.2fx", rss["mediagraph"] / rss["apollo"]
	if (mode == "page") bar = "req/s >= 2x and p99 <= 0.5x"
	else if (size == "20MiB") bar = "MiB/s >= 1.5x and peak RSS <= 0.5x"
	else if (size == "1MiB") bar = "req/s >= 2x"
	if (bar != "") printf "\n(the product bar, for a full measurement with 8 clients: %s)", bar
	printf "\n"
}' "$work/results"
