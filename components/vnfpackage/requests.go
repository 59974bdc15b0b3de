package vnfpackage

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// InstantiateInput is what the program knows at instantiate time.
type InstantiateInput struct {
	FlavourID            string   // empty: the package's first flavour
	NetworkID, SubnetID  string   // the cluster's node network and subnet (Neutron IDs)
	ControlPlanePortID   string   // the pre-created port of the control plane (its address is the API endpoint)
	WorkerSecurityGroups []string // Neutron security group IDs of the workers' ports; at least one
	PodCIDR              string   // native routing: allowed on the workers' ports; empty adds no address pair
	ControlPlaneUserData string   // secret: cloud-init of the control plane, named ControlPlaneName
	WorkerUserData       string   // secret: cloud-init of every worker (name and IP found at boot)
}

// Instantiation is the package-specific part of POST
// /vnflcm/v2/vnf_instances/{id}/instantiate; vimConnectionInfo is the
// caller's. Every field marshals to the SOL003 JSON Tacker expects.
type Instantiation struct {
	FlavourID            string            `json:"flavourId"`
	InstantiationLevelID string            `json:"instantiationLevelId"`
	ExtVirtualLinks      []ExtVirtualLink  `json:"extVirtualLinks"`
	AdditionalParams     map[string]any    `json:"additionalParams"`
	SecretParams         map[string]string `json:"-"` // the secrets of AdditionalParams[HeatParameters], by Heat parameter
}

// ExtVirtualLink is SOL003 ExtVirtualLinkData.
type ExtVirtualLink struct {
	ID           string        `json:"id"`
	ResourceID   string        `json:"resourceId"`
	ExtCps       []ExtCp       `json:"extCps"`
	ExtLinkPorts []ExtLinkPort `json:"extLinkPorts,omitempty"`
}

// ExtCp is SOL003 VnfExtCpData.
type ExtCp struct {
	CpdID    string              `json:"cpdId"`
	CpConfig map[string]CpConfig `json:"cpConfig"`
}

// CpConfig is SOL003 VnfExtCpConfig.
type CpConfig struct {
	LinkPortID     string           `json:"linkPortId,omitempty"`
	CpProtocolData []CpProtocolData `json:"cpProtocolData,omitempty"`
}

// CpProtocolData is SOL003 CpProtocolData with IP over Ethernet.
type CpProtocolData struct {
	LayerProtocol  string          `json:"layerProtocol"`
	IPOverEthernet *IPOverEthernet `json:"ipOverEthernet,omitempty"`
}

// IPOverEthernet is SOL003 IpOverEthernetAddressData.
type IPOverEthernet struct {
	IPAddresses []IPAddress `json:"ipAddresses"`
}

// IPAddress is one entry of IpOverEthernetAddressData.ipAddresses.
type IPAddress struct {
	Type                string `json:"type"`
	NumDynamicAddresses int    `json:"numDynamicAddresses"`
	SubnetID            string `json:"subnetId"`
}

// ExtLinkPort is SOL003 ExtLinkPortData.
type ExtLinkPort struct {
	ID             string         `json:"id"`
	ResourceHandle ResourceHandle `json:"resourceHandle"`
}

// ResourceHandle is SOL003 ResourceHandle.
type ResourceHandle struct {
	ResourceID           string `json:"resourceId"`
	VimLevelResourceType string `json:"vimLevelResourceType,omitempty"`
}

// Instantiate builds the instantiate request's package-specific part. The
// user data go only into additionalParams (under HeatParameters; SecretParams names them), from
// which the package's UserData class hands them to Heat as hidden
// parameters.
func (c *CSAR) Instantiate(in InstantiateInput) (*Instantiation, error) {
	f, err := c.flavour(in.FlavourID)
	if err != nil {
		return nil, err
	}
	var errs []error
	bad := func(field, value, want string) {
		errs = append(errs, fmt.Errorf("InstantiateInput.%s: %q %s", field, value, want))
	}
	for _, r := range [][2]string{{"NetworkID", in.NetworkID}, {"SubnetID", in.SubnetID}, {"ControlPlanePortID", in.ControlPlanePortID}} {
		if strings.TrimSpace(r[1]) == "" {
			bad(r[0], r[1], "is empty (want a Neutron ID)")
		}
	}
	if len(in.WorkerSecurityGroups) == 0 {
		errs = append(errs, errors.New("InstantiateInput.WorkerSecurityGroups: empty (a port without security groups drops all traffic)"))
	}
	for i, sg := range in.WorkerSecurityGroups {
		if strings.TrimSpace(sg) == "" {
			bad(fmt.Sprintf("WorkerSecurityGroups[%d]", i), sg, "is empty (want a Neutron ID)")
		}
	}
	if in.PodCIDR != "" {
		if _, _, err := net.ParseCIDR(in.PodCIDR); err != nil {
			bad("PodCIDR", in.PodCIDR, "is not a CIDR")
		}
	}
	for _, u := range [][2]string{{"ControlPlaneUserData", in.ControlPlaneUserData}, {"WorkerUserData", in.WorkerUserData}} {
		if !strings.HasPrefix(u[1], "#cloud-config") {
			// Never print user data: it holds the cluster's keys.
			errs = append(errs, fmt.Errorf("InstantiateInput.%s: not a #cloud-config document", u[0]))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	pairs := []map[string]string{}
	if in.PodCIDR != "" {
		pairs = append(pairs, map[string]string{"ip_address": in.PodCIDR})
	}
	params := c.LCMParams()
	params["nfv"] = map[string]any{"CP": map[string]any{WorkerCP: map[string]any{
		"security_groups":       append([]string(nil), in.WorkerSecurityGroups...),
		"allowed_address_pairs": pairs,
	}}}
	secrets := map[string]string{controlPlaneUD: in.ControlPlaneUserData, workerUD: in.WorkerUserData}
	params[HeatParameters] = secrets
	return &Instantiation{
		FlavourID:            f.ID,
		InstantiationLevelID: InstantiationLevelID,
		ExtVirtualLinks: []ExtVirtualLink{{
			ID:         ExtVirtualLinkID,
			ResourceID: in.NetworkID,
			ExtCps: []ExtCp{
				{CpdID: ControlPlaneCP, CpConfig: map[string]CpConfig{ControlPlaneCP: {
					LinkPortID:     ControlPlaneLinkPortID,
					CpProtocolData: []CpProtocolData{{LayerProtocol: "IP_OVER_ETHERNET"}},
				}}},
				{CpdID: WorkerCP, CpConfig: map[string]CpConfig{WorkerCP: {
					CpProtocolData: []CpProtocolData{{LayerProtocol: "IP_OVER_ETHERNET", IPOverEthernet: &IPOverEthernet{
						IPAddresses: []IPAddress{{Type: "IPV4", NumDynamicAddresses: 1, SubnetID: in.SubnetID}},
					}}},
				}}},
			},
			ExtLinkPorts: []ExtLinkPort{{
				ID:             ControlPlaneLinkPortID,
				ResourceHandle: ResourceHandle{ResourceID: in.ControlPlanePortID, VimLevelResourceType: "OS::Neutron::Port"},
			}},
		}},
		AdditionalParams: params,
		SecretParams:     secrets,
	}, nil
}

// LCMParams are the additionalParams every scale and heal request needs:
// without them Tacker falls back to its default UserData class, which does
// not know the package. Healing everything ("all": true) recreates the
// stack: add the user data then, as Instantiate does.
func (c *CSAR) LCMParams() map[string]any {
	return map[string]any{
		"lcm-operation-user-data":       "./" + UserDataPath,
		"lcm-operation-user-data-class": UserDataClass,
	}
}

// Flavour is the spec of one of the package's flavours; empty id: the first.
func (c *CSAR) flavour(id string) (Flavour, error) {
	if id == "" {
		return c.spec.Flavours[0], nil
	}
	var ids []string
	for _, f := range c.spec.Flavours {
		if f.ID == id {
			return f, nil
		}
		ids = append(ids, f.ID)
	}
	return Flavour{}, fmt.Errorf("InstantiateInput.FlavourID: %q is not a flavour of the package (have %s)", id, strings.Join(ids, ", "))
}
