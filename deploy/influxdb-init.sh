#!/bin/sh
# Creates the derived-measurement bucket next to the raw one that the
# InfluxDB image's setup mode creates (DOCKER_INFLUXDB_INIT_BUCKET=raw).
set -e
influx bucket create --name derived --org "$DOCKER_INFLUXDB_INIT_ORG" --retention 0 --token "$DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"
