#!/bin/sh
# Builds, when missing, what make test-terraform needs, into $TF_CACHE/bin:
#   terraform-provider-aws  from the Go module proxy (go install; about 25 min
#                           on 2 cores, peak ~12 GB of memory, ~12 GB of build cache)
#   tofu                    OpenTofu, from its module source (go install refuses it:
#                           its go.mod has a replace directive; about 5 min, 2 GB)
# A build that fails is reported and the test then skips with the reason.
# Concurrent runs wait for each other (flock), so nothing is built twice.
set -u
: "${TF_CACHE:?}" "${TF_PROVIDER_V:?}" "${TOFU_V:?}"
GO=${GO:-go}
bin=$TF_CACHE/bin
log=$TF_CACHE/log
mkdir -p "$bin" "$log"

# TF_PROVIDER_BUILD=0 skips the provider (make test-terraform-acceptance
# compiles it into its test binary instead).
[ "${TF_PROVIDER_BUILD:-1}" = 0 ] || (
	flock 9
	if [ ! -x "$bin/terraform-provider-aws" ]; then
		echo "building the AWS provider $TF_PROVIDER_V into $bin (about 25 min; log: $log/provider.log)"
		if ! GOBIN=$bin $GO install -ldflags='-s -w' \
			"github.com/hashicorp/terraform-provider-aws@$TF_PROVIDER_V" >"$log/provider.log" 2>&1; then
			echo "could not build the AWS provider: see $log/provider.log"
		fi
	fi
) 9>"$TF_CACHE/provider.lock"

if [ "${TF_TOOL:-tofu}" = tofu ]; then
	(
		flock 9
		if [ ! -x "$bin/tofu" ]; then
			echo "building OpenTofu $TOFU_V into $bin (about 5 min; log: $log/tofu.log)"
			src=$TF_CACHE/src/opentofu-$TOFU_V
			{
				dir=$($GO mod download -json "github.com/opentofu/opentofu@$TOFU_V" |
					sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') &&
					[ -n "$dir" ] &&
					rm -rf "$src" && mkdir -p "$(dirname "$src")" &&
					cp -r "$dir" "$src" && chmod -R u+w "$src" &&
					(cd "$src" && CGO_ENABLED=0 $GO build -ldflags='-s -w' -o "$bin/tofu" ./cmd/tofu)
			} >"$log/tofu.log" 2>&1 || echo "could not build OpenTofu: see $log/tofu.log"
			rm -rf "$src"
		fi
	) 9>"$TF_CACHE/tofu.lock"
fi
exit 0
