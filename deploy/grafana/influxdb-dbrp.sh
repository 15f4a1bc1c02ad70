#!/bin/sh
# Maps InfluxQL database/retention-policy names onto the InfluxDB 2.x buckets,
# so that Grafana's InfluxQL queries (deploy/grafana/dashboards/balance.json)
# use the names that InfluxDB 1.8 has (docs/storage.md):
#   balance.autogen (the database's default) -> bucket derived
#   balance.raw                              -> bucket raw
# docker-compose.yml mounts it into /docker-entrypoint-initdb.d after
# deploy/influxdb-init.sh (scripts run in name order), so both buckets exist.
# It runs once, when InfluxDB sets itself up.
set -e
bucket_id() {
  influx bucket list --name "$1" --org "$DOCKER_INFLUXDB_INIT_ORG" --token "$DOCKER_INFLUXDB_INIT_ADMIN_TOKEN" --hide-headers | awk 'NR == 1 { print $1 }'
}
derived_id=$(bucket_id derived)
raw_id=$(bucket_id raw)
if [ -z "$derived_id" ] || [ -z "$raw_id" ]; then
  echo "influxdb-dbrp.sh: buckets raw and derived must exist (found raw=\"$raw_id\" derived=\"$derived_id\")" >&2
  exit 1
fi
influx v1 dbrp create --db balance --rp autogen --default --bucket-id "$derived_id" --org "$DOCKER_INFLUXDB_INIT_ORG" --token "$DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"
influx v1 dbrp create --db balance --rp raw --bucket-id "$raw_id" --org "$DOCKER_INFLUXDB_INIT_ORG" --token "$DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"
