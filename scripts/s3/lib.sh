# Shared by moto.sh and swift.sh (sourced, not run).

# write_env DIR ENDPOINT: the environment the tests and bench/publish.sh read,
# from the caller's ACCESS_KEY, SECRET_KEY, REGION and BUCKET.
write_env() {
  cat >"$1/env" <<ENV
export AWS_ENDPOINT_URL=$2
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=$REGION
export AWS_DEFAULT_REGION=$REGION
export AWS_ALLOW_HTTP=true
export RCOLLECT_TEST_S3_BUCKET=$BUCKET
ENV
}
