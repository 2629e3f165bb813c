// Command etcd: kubesmith's wrapper module around etcd's server entry point.
//
// The etcd server module replaces its sibling modules with local folders, so it cannot be
// installed with `go install`; requiring it from this module resolves the published versions.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
