package stacks

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// kubeconfigCluster is what the program needs of an existing cluster's
// kubeconfig: where its API is and which CA signed it.
type kubeconfigCluster struct {
	Server    string // https://host:port
	Host      string
	Port      int
	CACertPem string // empty when the kubeconfig trusts the system roots
}

// parseKubeconfig reads the cluster of the current context. Its errors
// never quote the file: it holds credentials.
func parseKubeconfig(text string) (kubeconfigCluster, error) {
	var kc struct {
		CurrentContext string `yaml:"current-context"`
		Contexts       []struct {
			Name    string `yaml:"name"`
			Context struct {
				Cluster string `yaml:"cluster"`
			} `yaml:"context"`
		} `yaml:"contexts"`
		Clusters []struct {
			Name    string `yaml:"name"`
			Cluster struct {
				Server string `yaml:"server"`
				CAData string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
	}
	if err := yaml.Unmarshal([]byte(text), &kc); err != nil {
		return kubeconfigCluster{}, errors.New("it is not YAML")
	}
	clusterName := ""
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			clusterName = c.Context.Cluster
		}
	}
	if clusterName == "" && len(kc.Clusters) == 1 && kc.CurrentContext == "" {
		clusterName = kc.Clusters[0].Name
	}
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		u, err := url.Parse(c.Cluster.Server)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" {
			return kubeconfigCluster{}, fmt.Errorf("the server of cluster %q is not an https URL", c.Name)
		}
		out := kubeconfigCluster{Server: u.Scheme + "://" + u.Host, Host: u.Hostname(), Port: 443}
		if p := u.Port(); p != "" {
			out.Port, _ = strconv.Atoi(p)
		}
		if c.Cluster.CAData != "" {
			pem, err := base64.StdEncoding.DecodeString(c.Cluster.CAData)
			if err != nil {
				return kubeconfigCluster{}, fmt.Errorf("certificate-authority-data of cluster %q is not base64", c.Name)
			}
			out.CACertPem = string(pem)
		}
		return out, nil
	}
	return kubeconfigCluster{}, fmt.Errorf("current-context %q names no cluster of the file", kc.CurrentContext)
}

// existing is a cluster made elsewhere, reached through its kubeconfig:
// nothing is created for it but what the addons install.
func existing(ctx *pulumi.Context, cfg *Config) (*target, error) {
	kc, err := parseKubeconfig(cfg.Kubeconfig)
	if err != nil {
		return nil, err // Validate has said so already
	}
	spec := cfg.ClusterSpecs()[0]
	return &target{
		spec:        spec,
		kubeconfig:  pulumi.ToSecret(pulumi.String(cfg.Kubeconfig)).(pulumi.StringOutput),
		apiEndpoint: pulumi.String(kc.Server).ToStringOutput(),
		apiHost:     pulumi.String(kc.Host).ToStringOutput(),
		apiPort:     kc.Port,
		caCertPem:   pulumi.String(kc.CACertPem).ToStringOutput(),
		nodeIPs:     pulumi.StringArray{}.ToStringArrayOutput(),
		// Its size is not known: one operator replica fits any cluster.
		nodes:   1,
		mtu:     pulumi.Int(cfg.NetworkMTU).ToIntOutput(),
		outputs: pulumi.Map{},
	}, nil
}
