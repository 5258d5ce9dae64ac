#!/bin/sh
# make test-terraform-acceptance: terraform-provider-aws's own acceptance
# tests of the four traffic-mirror resources (TestAccVPCTrafficMirror*),
# unmodified, with OpenTofu against mirrorlab serve --empty --no-lab.
#
# Builds, when missing, into $TF_CACHE/bin (concurrent runs wait for each
# other: flock):
#   tofu      OpenTofu, by tools.sh (about 5 min, 2 GB)
#   ec2.test  the provider's EC2 acceptance tests: its module from the Go
#             module proxy (the zip includes the tests) copied to a writable
#             place and compiled with go test -c (70 min on a busy 2-core
#             machine, peak ~10 GB of memory; log in $TF_CACHE/log/ec2test.log)
# then runs TestProviderAcceptance (acceptance_test.go) in a network
# namespace of its own with only loopback (unshare --net; as a user,
# unshare --user --map-root-user --net), so that nothing the provider or
# tofu tries can leave the machine. The table of results and the logs go
# to $TF_CACHE/log/acceptance.
set -u
: "${TF_CACHE:?}" "${TF_PROVIDER_V:?}" "${TOFU_V:?}"
GO=${GO:-go}
here=$(dirname "$0")
bin=$TF_CACHE/bin
log=$TF_CACHE/log
mkdir -p "$bin" "$log"

TF_PROVIDER_BUILD=0 TF_TOOL=tofu sh "$here/tools.sh"
[ -x "$bin/tofu" ] || { echo "OpenTofu is not built: see $log/tofu.log" >&2; exit 1; }

(
	flock 9
	[ -x "$bin/ec2.test" ] && exit 0
	echo "building the AWS provider's EC2 acceptance tests into $bin/ec2.test (about an hour; log: $log/ec2test.log)"
	src=$TF_CACHE/src/terraform-provider-aws-$TF_PROVIDER_V
	start=$(date +%s)
	{
		dir=$($GO mod download -json "github.com/hashicorp/terraform-provider-aws@$TF_PROVIDER_V" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') &&
			[ -n "$dir" ] &&
			rm -rf "$src" && mkdir -p "$(dirname "$src")" &&
			cp -r "$dir" "$src" && chmod -R u+w "$src" &&
			(cd "$src" && nice -n 5 $GO test -c -vet=off -ldflags='-s -w' -o "$bin/ec2.test.tmp" ./internal/service/ec2) &&
			mv "$bin/ec2.test.tmp" "$bin/ec2.test"
	} >"$log/ec2test.log" 2>&1
	rc=$?
	rm -rf "$src" "$bin/ec2.test.tmp"
	if [ $rc -ne 0 ]; then
		echo "could not build the EC2 acceptance tests: see $log/ec2test.log" >&2
		exit 1
	fi
	echo "built $bin/ec2.test in $(($(date +%s) - start)) s"
) 9>"$TF_CACHE/ec2test.lock" || exit 1

if unshare --net true 2>/dev/null; then
	isolate="unshare --net"
elif unshare --user --map-root-user --net true 2>/dev/null; then
	isolate="unshare --user --map-root-user --net"
else
	echo "cannot make a network namespace (unshare --net): the provider's tests would have the network in reach; refusing" >&2
	exit 1
fi
# shellcheck disable=SC2016 # $@ is the inner shell's
MIRRORLAB_TF_ACCEPTANCE=1 MIRRORLAB_TF_BIN="$bin" MIRRORLAB_TF_ACC_OUT="$log/acceptance" \
	$isolate sh -c 'ip link set lo up && exec "$@"' sh \
	$GO test -count=1 -timeout 120m -v -run '^TestProviderAcceptance$' ./examples/terraform/
