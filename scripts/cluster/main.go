// Command tare-testcluster is test infrastructure for tare's integration
// tests: one multi-call binary that runs a real Kubernetes control-plane
// component (built from k8s.io/kubernetes) or an etcd server, chosen by the
// first argument. It is started and stopped by scripts/test-cluster.
//
//	tare-testcluster apiserver          [kube-apiserver flags...]
//	tare-testcluster controller-manager [kube-controller-manager flags...]
//	tare-testcluster scheduler          [kube-scheduler flags...]
//	tare-testcluster etcd               [etcd flags...]
//	tare-testcluster version
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // CronJob time zones, as in the upstream mains

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/component-base/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tare-testcluster apiserver|controller-manager|scheduler|etcd|version [flags...]")
}

// runCobra runs a component's cobra command with the remaining arguments,
// the way the upstream main functions do.
func runCobra(cmd *cobra.Command, args []string) int {
	cmd.SetArgs(args)
	return cli.Run(cmd)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	sub, rest := os.Args[1], os.Args[2:]
	switch sub {
	case "apiserver", "kube-apiserver":
		os.Exit(runCobra(apiserver.NewAPIServerCommand(), rest))
	case "controller-manager", "kube-controller-manager":
		os.Exit(runCobra(controllermanager.NewControllerManagerCommand(), rest))
	case "scheduler", "kube-scheduler":
		os.Exit(runCobra(scheduler.NewSchedulerCommand(), rest))
	case "etcd":
		// etcdmain parses args[1:] and never returns while the server runs.
		etcdmain.Main(append([]string{"etcd"}, rest...))
	case "version", "--version":
		fmt.Println(version.Get().GitVersion)
	default:
		usage()
		os.Exit(2)
	}
}
