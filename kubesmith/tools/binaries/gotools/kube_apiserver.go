// Command kube-apiserver: kubesmith's wrapper module around the upstream API server command.
//
// k8s.io/kubernetes cannot be installed with `go install` because its go.mod points the
// k8s.io/* staging modules at local folders. This module requires it and pins each staging module
// to the published v0.X.Y release instead (see kube_apiserver.mod.tmpl), so the same server the
// release ships can be built from the module proxy alone.
package main

import (
	"os"
	_ "time/tzdata"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
