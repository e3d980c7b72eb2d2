# Shared by cluster-bench.sh and cluster-cpu.sh (sourced): a POST to a node's Operations API,
# and turning a started node into a cluster node (cluster user, ports, routes, restart).
post() { curl -s -u admin:password -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$1/"; }
cluster() {  # api-port node-name base-port [route-port]
  local routes="[]"; [ -n "${4:-}" ] && routes="[{\"host\":\"127.0.0.1\",\"port\":$4}]"
  # The cluster user, the same on both nodes: routes authenticate with it.
  post "$1" '{"operation":"add_role","role":"cluster_user","permission":{"cluster_user":true}}' >/dev/null
  post "$1" '{"operation":"add_user","role":"cluster_user","username":"cluster_account","password":"cluster-secret","active":true}' >/dev/null
  post "$1" "{\"operation\":\"set_configuration\",\"clustering_enabled\":true,\"clustering_nodeName\":\"$2\",\"clustering_user\":\"cluster_account\",
    \"clustering_hubServer_cluster_network_port\":$3,\"clustering_hubServer_network_port\":$(($3+1)),
    \"clustering_hubServer_leafNodes_network_port\":$(($3+2)),\"clustering_leafServer_network_port\":$(($3+3)),
    \"clustering_hubServer_cluster_network_routes\":$routes}" >/dev/null
  post "$1" '{"operation":"restart"}' >/dev/null
  until post "$1" '{"operation":"cluster_status"}' | grep -q '"nats_connected":true'; do sleep 0.2; done
}
