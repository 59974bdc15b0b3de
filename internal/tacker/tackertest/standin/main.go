// Command standin serves the Tacker stand-in on a loopback port, for
// trying the provider or python-tackerclient by hand:
//
//	go run ./internal/tacker/tackertest/standin -listen 127.0.0.1:9890 -token secret
//	openstack --os-auth-type admin_token --os-endpoint http://127.0.0.1:9890/ --os-token secret vim list
//	openstack ... vnf package create; openstack ... vnf package upload --path pkg.zip ID
//	openstack ... --os-tacker-api-version 2 vnflcm create VNFD_ID
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/tacker-cilium/tacker-cilium/internal/tacker/tackertest"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9890", "loopback address to serve on")
	token := flag.String("token", "", "the X-Auth-Token to accept (default: $TACKER_STANDIN_TOKEN)")
	onboarding := flag.Duration("onboarding-delay", time.Second, "how long a package takes to onboard")
	operation := flag.Duration("operation-delay", 2*time.Second, "how long an LCM operation runs")
	flag.Parse()
	if *token == "" {
		*token = os.Getenv("TACKER_STANDIN_TOKEN")
	}
	if *token == "" {
		log.Fatal("standin: give -token or TACKER_STANDIN_TOKEN")
	}
	host, _, err := net.SplitHostPort(*listen)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		log.Fatalf("standin: %s is not a loopback address", *listen)
	}
	s := tackertest.New(*token)
	s.OnboardingDelay, s.OperationDelay = *onboarding, *operation
	if err := s.Start(*listen); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("tacker stand-in on %s\n", s.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	<-stop
	s.Close()
}
