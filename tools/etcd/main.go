// Command etcd is etcd's own entry point (etcdmain), built from the published server module
// because Debian ships only etcd 3.4, which current kube-apiservers refuse.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
