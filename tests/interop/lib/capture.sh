# shellcheck shell=bash
# capture.sh - tshark captures of the Kerberos exchanges of an interop test
# on loopback (sourced by bash, after check.sh, orthkdc.sh and mitkdc.sh).
#
#   capture_prologue              for a test of Orthrus's KDC and MIT's: the
#                                 EXIT trap stops the capture and both KDCs;
#                                 tshark and MIT's KDC programs must be
#                                 installed (make deps does): a failure, not
#                                 a skip, otherwise
#   capture_start DIR PORT NAME   capture port PORT into DIR/NAME.pcap
#   capture_stop                  stop it (by PID)
#   capture_malformed WHO DIR PORT NAME
#                                 a check: Wireshark's Kerberos dissector
#                                 finds no malformed or error-level frame
#   capture_check WHO DIR PORT NAME
#                                 that check, then DIR/NAME.pa: one line per
#                                 AS-REQ (its padata types, comma-separated),
#                                 DIR/NAME.groups: the SPAKE groups named in
#                                 the KRB-ERRORs (the challenges)
#   captured WHO DIR PORT NAME CMD...
#                                 CMD (a check: expect_ok ...) under the
#                                 capture NAME, then capture_check
#   has_pa FILE TYPE              how many lines of FILE list padata TYPE
#   pa_expect WHAT FILE TYPE OP N a check: has_pa FILE TYPE is OP (test's
#                                 -eq, -ge ...) N

capture_prologue() {
	TSHARK_PID=
	trap 'capture_stop; orthkdc_stop; mitkdc_stop; rm -f "$CHECK_OUT"' EXIT
	command -v tshark >/dev/null 2>&1 || { fail "tshark not installed (make deps installs it)"; check_done; exit 1; }
	mitkdc_available || { fail "MIT KDC programs not installed (make deps installs them)"; check_done; exit 1; }
	export LC_ALL=C TZ=UTC
}

capture_start() {
	: >"$1/tshark-$3.err"
	tshark -i lo -f "port $2" -w "$1/$3.pcap" >"$1/tshark-$3.err" 2>&1 &
	TSHARK_PID=$!
	# dumpcap says "Capturing on" a moment before its filter is live:
	# without the pause the first request of a short capture is lost
	for _ in $(seq 1 300); do grep -q "Capturing on" "$1/tshark-$3.err" && { sleep 1; return 0; }; sleep 0.1; done
	fail "tshark is not capturing on lo"; sed 's/^/    /' "$1/tshark-$3.err" >&2
	return 1
}

capture_stop() {
	sleep 0.5
	[ -n "${TSHARK_PID:-}" ] && kill "$TSHARK_PID" 2>/dev/null && wait "$TSHARK_PID" 2>/dev/null
	TSHARK_PID=
}

# the tshark options that read PORT as Kerberos
capture_decode() {
	echo "-d udp.port==$1,kerberos -d tcp.port==$1,kerberos"
}

capture_malformed() {
	local who=$1 dir=$2 port=$3 name=$4 bad
	# shellcheck disable=SC2046
	bad=$(tshark -r "$dir/$name.pcap" $(capture_decode "$port") -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null)
	if [ -z "$bad" ]; then pass "$who: $name: tshark finds no malformed or error-level frame"; else fail "$who: $name: tshark complains"; echo "$bad" | head -20 >&2; fi
}

capture_check() {
	local who=$1 dir=$2 port=$3 name=$4
	capture_malformed "$who" "$dir" "$port" "$name"
	# shellcheck disable=SC2046
	tshark -r "$dir/$name.pcap" $(capture_decode "$port") -Y "kerberos.msg_type == 10" \
		-T fields -e kerberos.padata_type 2>/dev/null >"$dir/$name.pa"
	# shellcheck disable=SC2046
	tshark -r "$dir/$name.pcap" $(capture_decode "$port") -Y "kerberos.msg_type == 30 && kerberos.group" \
		-T fields -e kerberos.group 2>/dev/null >"$dir/$name.groups"
}

has_pa() {
	awk -v t="$2" '$0 ~ "(^|,)" t "(,|$)"' "$1" | wc -l
}

captured() {
	local who=$1 dir=$2 port=$3 name=$4
	shift 4
	capture_start "$dir" "$port" "$name" || return 1
	"$@"
	capture_stop
	capture_check "$who" "$dir" "$port" "$name"
}

pa_expect() {
	local what=$1 file=$2 type=$3 op=$4 want=$5 n
	n=$(has_pa "$file" "$type")
	if test "$n" "$op" "$want"; then
		pass "$what ($n AS-REQs with padata $type)"
	else
		fail "$what: $n AS-REQs with padata $type"
		sed 's/^/    /' "$file" >&2
	fi
}
