// Package vnfpackage builds the Tacker VNF package (an ETSI SOL004 CSAR) of
// a Kubernetes cluster: the VNFD Tacker validates on upload, the Heat
// templates it instantiates, scales and heals through vnflcm v2, and the
// UserData class that turns an instantiate request into the Heat
// parameters. It also builds the parts of the LCM requests that must agree
// with the package (flavour, instantiation level, aspect, CP names).
//
// The package carries no secret: it is uploaded to Tacker and shared. The
// nodes' user_data reach Heat as hidden parameters whose values come with
// the instantiate request (see Instantiate).
package vnfpackage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Names the package, the requests and the UserData class agree on.
const (
	ControlPlaneVDU = "controlplane"
	WorkerVDU       = "worker"
	ControlPlaneCP  = ControlPlaneVDU + "_CP1"
	WorkerCP        = WorkerVDU + "_CP1"
	// AspectID is the ScalingAspect of the workers: SCALE_OUT/SCALE_IN take it.
	AspectID = "worker_instance"
	// InstantiationLevelID is the only level: Workers.Initial workers.
	InstantiationLevelID = "initial"
	// ExtVirtualLinkID names the node network in extVirtualLinks.
	ExtVirtualLinkID = "node-network"
	// ControlPlaneLinkPortID names the pre-created control-plane port in extLinkPorts.
	ControlPlaneLinkPortID = "controlplane-port"
)

// Spec is everything that varies between packages. Build fills defaults.
type Spec struct {
	ProductName     string // VNFD product_name; default "Kubernetes cluster with Cilium"
	Provider        string // VNFD provider; default "tacker-cilium"
	SoftwareVersion string // software_version, e.g. the Kubernetes patch "1.36.4"; required
	Version         string // descriptor_version of the package; default "1.0"
	ClusterName     string // DNS-1123 label of at most 32 characters: prefixes server and group names
	Flavours        []Flavour
}

// Flavour is one deployment flavour: its VDUs and their placement.
type Flavour struct {
	ID                string // flavourId of the instantiate request: [a-z0-9_]+
	Description       string // default "<n> control plane, <min>-<max> workers"
	ControlPlane      VDU    // Count must be 1: its port and address are pre-created
	Workers           Workers
	ServerGroupPolicy string // Nova server group policy of each role; default soft-anti-affinity
}

// VDU is one kind of server.
type VDU struct {
	Flavor   string // Nova flavour name (the VNFD's requested_additional_capability_name)
	VCPUs    int    // the flavour's vCPUs (VNFD virtual_cpu)
	MemoryMB int    // the flavour's RAM (VNFD virtual_memory)
	DiskGB   int    // the flavour's root disk; 0 leaves it out of the VNFD
	Image    Image
	Count    int // control plane only
}

// Workers is the scaled VDU: Tacker's worker_instance aspect moves it
// between Min and Max, one server per step.
type Workers struct {
	VDU
	Min, Max, Initial int
}

// Image is the Glance image a VDU boots, as the VNFD's sw_image_data
// describes it; the image is used by name and is not shipped in the package.
type Image struct {
	Name              string // Glance image name
	Version           string // default "1.0"
	ChecksumAlgorithm string // sha-224, sha-256, sha-384 or sha-512, as ETSI SOL001 allows (Glance's os_hash_algo, not its md5 checksum)
	Checksum          string // hex digest of the image file
	ContainerFormat   string // default bare
	DiskFormat        string // default qcow2
	SizeBytes         int64
	MinDiskGB         int
}

var (
	dnsLabel    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	flavourID   = regexp.MustCompile(`^[a-z0-9_]+$`)
	hexDigest   = regexp.MustCompile(`^[0-9a-f]+$`)
	checksumLen = map[string]int{"sha-224": 56, "sha-256": 64, "sha-384": 96, "sha-512": 128}
	serverGroup = []string{"soft-anti-affinity", "anti-affinity", "soft-affinity", "affinity"}
	containers  = []string{"aki", "ami", "ari", "bare", "docker", "ova", "ovf"}
	diskFormats = []string{"aki", "ami", "ari", "iso", "qcow2", "raw", "vdi", "vhd", "vhdx", "vmdk"}
)

func (s Spec) withDefaults() Spec {
	s.Flavours = append([]Flavour(nil), s.Flavours...)
	if s.ProductName == "" {
		s.ProductName = "Kubernetes cluster with Cilium"
	}
	if s.Provider == "" {
		s.Provider = "tacker-cilium"
	}
	if s.Version == "" {
		s.Version = "1.0"
	}
	for i := range s.Flavours {
		f := &s.Flavours[i]
		if f.ServerGroupPolicy == "" {
			f.ServerGroupPolicy = "soft-anti-affinity"
		}
		if f.Description == "" {
			f.Description = fmt.Sprintf("%d control plane, %d-%d workers", f.ControlPlane.Count, f.Workers.Min, f.Workers.Max)
		}
		f.ControlPlane.Image = f.ControlPlane.Image.withDefaults()
		f.Workers.Image = f.Workers.Image.withDefaults()
	}
	return s
}

func (i Image) withDefaults() Image {
	if i.Version == "" {
		i.Version = "1.0"
	}
	if i.ContainerFormat == "" {
		i.ContainerFormat = "bare"
	}
	if i.DiskFormat == "" {
		i.DiskFormat = "qcow2"
	}
	return i
}

// validate checks a defaulted Spec; every problem is reported at once.
func (s Spec) validate() error {
	var errs []error
	bad := func(field string, value any, want string) {
		errs = append(errs, fmt.Errorf("%s: %q %s", field, fmt.Sprint(value), want))
	}
	if len(s.ClusterName) > 32 || !dnsLabel.MatchString(s.ClusterName) {
		bad("ClusterName", s.ClusterName, "is not a DNS-1123 label of at most 32 characters")
	}
	if s.SoftwareVersion == "" {
		bad("SoftwareVersion", s.SoftwareVersion, "is empty (want the software version, e.g. the Kubernetes release)")
	}
	for _, f := range [][2]string{{"ProductName", s.ProductName}, {"Provider", s.Provider}, {"Version", s.Version}, {"SoftwareVersion", s.SoftwareVersion}} {
		if strings.ContainsAny(f[1], "\r\n") {
			bad(f[0], f[1], "has a line break")
		}
	}
	if len(s.Flavours) == 0 {
		errs = append(errs, errors.New("Flavours: empty (want at least one deployment flavour)"))
	}
	seen := map[string]bool{}
	for i, f := range s.Flavours {
		p := fmt.Sprintf("Flavours[%d]", i)
		if !flavourID.MatchString(f.ID) {
			bad(p+".ID", f.ID, "is not a flavour id (lower-case letters, digits and '_')")
		} else if seen[f.ID] {
			bad(p+".ID", f.ID, "is used by another flavour")
		}
		seen[f.ID] = true
		if !oneOf(f.ServerGroupPolicy, serverGroup) {
			bad(p+".ServerGroupPolicy", f.ServerGroupPolicy, "is not one of "+strings.Join(serverGroup, ", "))
		}
		if f.ControlPlane.Count != 1 {
			bad(p+".ControlPlane.Count", f.ControlPlane.Count, "is not 1 (the package has one control plane, on the pre-created port)")
		}
		// kubeadm's preflight refuses a control plane below 2 CPUs / 1700 MB.
		errs = append(errs, f.ControlPlane.validate(p+".ControlPlane", 2, 1700)...)
		errs = append(errs, f.Workers.VDU.validate(p+".Workers", 1, 1024)...)
		w := f.Workers
		if w.Min < 0 {
			bad(p+".Workers.Min", w.Min, "is negative")
		}
		if w.Max < 1 || w.Max < w.Min {
			bad(p+".Workers.Max", w.Max, fmt.Sprintf("is below 1 or below Workers.Min (%d)", w.Min))
		}
		if w.Initial < w.Min || w.Initial > w.Max {
			bad(p+".Workers.Initial", w.Initial, fmt.Sprintf("is outside Workers.Min-Workers.Max (%d-%d)", w.Min, w.Max))
		}
	}
	return errors.Join(errs...)
}

func (v VDU) validate(p string, minCPU, minMB int) []error {
	var errs []error
	bad := func(field string, value any, want string) {
		errs = append(errs, fmt.Errorf("%s.%s: %q %s", p, field, fmt.Sprint(value), want))
	}
	if v.Flavor == "" || strings.ContainsAny(v.Flavor, "\r\n") {
		bad("Flavor", v.Flavor, "is not a Nova flavour name")
	}
	if v.VCPUs < minCPU {
		bad("VCPUs", v.VCPUs, fmt.Sprintf("is below %d (kubeadm's minimum)", minCPU))
	}
	if v.MemoryMB < minMB {
		bad("MemoryMB", v.MemoryMB, fmt.Sprintf("is below %d MB (kubeadm's minimum)", minMB))
	}
	if v.DiskGB < 0 {
		bad("DiskGB", v.DiskGB, "is negative")
	}
	i := v.Image
	if i.Name == "" || strings.ContainsAny(i.Name, "\r\n") {
		bad("Image.Name", i.Name, "is not a Glance image name")
	}
	if n, ok := checksumLen[i.ChecksumAlgorithm]; !ok {
		bad("Image.ChecksumAlgorithm", i.ChecksumAlgorithm, "is not sha-224, sha-256, sha-384 or sha-512 (ETSI SOL001 ChecksumData)")
	} else if len(i.Checksum) != n || !hexDigest.MatchString(i.Checksum) {
		bad("Image.Checksum", i.Checksum, fmt.Sprintf("is not %d lower-case hex digits (%s)", n, i.ChecksumAlgorithm))
	}
	if !oneOf(i.ContainerFormat, containers) {
		bad("Image.ContainerFormat", i.ContainerFormat, "is not one of "+strings.Join(containers, ", "))
	}
	if !oneOf(i.DiskFormat, diskFormats) {
		bad("Image.DiskFormat", i.DiskFormat, "is not one of "+strings.Join(diskFormats, ", "))
	}
	if i.SizeBytes <= 0 {
		bad("Image.SizeBytes", i.SizeBytes, "is not positive (Glance's image size)")
	}
	if i.MinDiskGB < 0 {
		bad("Image.MinDiskGB", i.MinDiskGB, "is negative")
	}
	if strings.ContainsAny(i.Version, "\r\n") {
		bad("Image.Version", i.Version, "has a line break")
	}
	return errs
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}
