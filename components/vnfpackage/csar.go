package vnfpackage

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Paths inside the CSAR.
const (
	MetaPath       = "TOSCA-Metadata/TOSCA.meta"
	TopVNFDPath    = "Definitions/cluster_top.vnfd.yaml"
	typesFile      = "cluster_types.yaml"
	UserDataPath   = "UserData/cluster_userdata.py"
	UserDataClass  = "ClusterUserData"
	nodeType       = "tackercilium.nodes.KubernetesCluster"
	definitionsDir = "Definitions/"
	baseHOTDir     = "BaseHOT/"
	createdBy      = "tacker-cilium"
	// HeatParameters is the additionalParams object holding the hidden Heat
	// parameters: Tacker takes no string over 255 characters at the top.
	HeatParameters = "heat_parameters"
	controlPlaneUD = "controlplane_user_data"
	workerUD       = "worker_user_data"
)

var (
	// The ETSI NFV-SOL 001 v2.6.1 type definitions every VNFD imports
	// (© ETSI, published under the Apache License 2.0 in ETSI's NFV
	// SOL001 repository); Tacker refuses a package that lacks them.
	//go:embed templates/etsi/*.yaml
	etsiFS embed.FS

	//go:embed templates/userdata/cluster_userdata.py
	userDataClass []byte

	//go:embed templates/vnfd/*.tmpl templates/hot/*.tmpl
	templateFS embed.FS
	templates  = template.Must(template.New("").
			Funcs(template.FuncMap{"q": strconv.Quote}).
			ParseFS(templateFS, "templates/vnfd/*.tmpl", "templates/hot/*.tmpl"))

	// zipTime is every entry's timestamp: the same Spec gives the same bytes.
	zipTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// vnfdNamespace is the UUIDv5 namespace of vnfdIds.
	vnfdNamespace = [16]byte{0x4c, 0x1e, 0x63, 0x0b, 0x9d, 0x52, 0x4b, 0x3a, 0x8e, 0x1f, 0x27, 0x6d, 0x0a, 0x93, 0x5c, 0x10}
)

// CSAR is a built package.
type CSAR struct {
	Zip    []byte
	SHA256 string   // hex digest of Zip: the package's content hash
	VnfdID string   // descriptor_id, new for every change of content
	Files  []string // entries of Zip, sorted
	spec   Spec
}

// Build renders the package of spec. The same Spec gives the same bytes; any
// change gives another vnfdId, which Tacker needs (it refuses a second
// package with an onboarded vnfdId).
func Build(spec Spec) (*CSAR, error) {
	spec = spec.withDefaults()
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("vnfpackage: %w", err)
	}
	// The vnfdId is part of the content, so it is derived from the content
	// rendered without it.
	draft, err := render(spec, "")
	if err != nil {
		return nil, err
	}
	id := vnfdID(spec, draft)
	files, err := render(spec, id)
	if err != nil {
		return nil, err
	}
	files[MetaPath] = toscaMeta(files)
	zipped, names, err := zipFiles(files)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zipped)
	return &CSAR{Zip: zipped, SHA256: hex.EncodeToString(sum[:]), VnfdID: id, Files: names, spec: spec}, nil
}

// ControlPlaneName is the control plane's server name, which its user_data
// must use as the node name.
func ControlPlaneName(clusterName string) string { return clusterName + "-cp-0" }

// view is what the templates see.
type view struct {
	Spec                             Spec
	VnfdID, NodeType, TypesFile      string
	Flavours                         []flavourView
	F                                Flavour
	ControlPlaneVDU, WorkerVDU       string
	ControlPlaneCP, WorkerCP         string
	AspectID, LevelID                string
	MaxScaleLevel, InitialScaleLevel int
	ControlPlaneName                 string
	ControlPlaneUserData             string
	WorkerUserData                   string
}

type flavourView struct {
	Flavour
	DFFile string
}

func dfFile(id string) string { return "cluster_df_" + id + ".yaml" }

// render returns every file but TOSCA.meta, by path.
func render(s Spec, id string) (map[string][]byte, error) {
	v := view{
		Spec: s, VnfdID: id, NodeType: nodeType, TypesFile: typesFile,
		ControlPlaneVDU: ControlPlaneVDU, WorkerVDU: WorkerVDU,
		ControlPlaneCP: ControlPlaneCP, WorkerCP: WorkerCP,
		AspectID: AspectID, LevelID: InstantiationLevelID,
		ControlPlaneName:     ControlPlaneName(s.ClusterName),
		ControlPlaneUserData: controlPlaneUD, WorkerUserData: workerUD,
	}
	for _, f := range s.Flavours {
		v.Flavours = append(v.Flavours, flavourView{f, dfFile(f.ID)})
	}
	files := map[string][]byte{}
	exec := func(out, name string, v view) error {
		var b bytes.Buffer
		if err := templates.ExecuteTemplate(&b, name, v); err != nil {
			return fmt.Errorf("vnfpackage: render %s: %w", out, err)
		}
		files[out] = b.Bytes()
		return nil
	}
	if err := exec(TopVNFDPath, "top.vnfd.yaml.tmpl", v); err != nil {
		return nil, err
	}
	if err := exec(definitionsDir+typesFile, "types.yaml.tmpl", v); err != nil {
		return nil, err
	}
	for _, f := range s.Flavours {
		fv := v
		fv.F = f
		fv.MaxScaleLevel = f.Workers.Max - f.Workers.Min
		fv.InitialScaleLevel = f.Workers.Initial - f.Workers.Min
		hot := baseHOTDir + f.ID + "/"
		for out, name := range map[string]string{
			definitionsDir + dfFile(f.ID):               "df.yaml.tmpl",
			hot + "cluster_hot_top.yaml":                "top.yaml.tmpl",
			hot + "nested/" + ControlPlaneVDU + ".yaml": "controlplane.yaml.tmpl",
			hot + "nested/" + WorkerVDU + ".yaml":       "worker.yaml.tmpl",
		} {
			if err := exec(out, name, fv); err != nil {
				return nil, err
			}
		}
	}
	etsi, err := etsiFS.ReadDir("templates/etsi")
	if err != nil {
		return nil, err
	}
	for _, e := range etsi {
		b, err := etsiFS.ReadFile("templates/etsi/" + e.Name())
		if err != nil {
			return nil, err
		}
		files[definitionsDir+e.Name()] = b
	}
	files[UserDataPath] = userDataClass
	return files, nil
}

// vnfdID is a UUIDv5 (RFC 9562) of the product, its version and the
// package content.
func vnfdID(s Spec, files map[string][]byte) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	sum := sha1.Sum(append(vnfdNamespace[:], []byte(s.ProductName+"\x00"+s.Version+"\x00"+hex.EncodeToString(h.Sum(nil)))...))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// toscaMeta lists every artifact outside Definitions/ with its SHA-256;
// Tacker refuses the package when one does not match.
func toscaMeta(files map[string][]byte) []byte {
	var b strings.Builder
	b.WriteString("TOSCA-Meta-File-Version: 1.0\n")
	b.WriteString("CSAR-Version: 1.1\n")
	b.WriteString("Created-by: " + createdBy + "\n")
	b.WriteString("Entry-Definitions: " + TopVNFDPath + "\n")
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasPrefix(name, definitionsDir) {
			continue
		}
		sum := sha256.Sum256(files[name])
		ctype := "application/x-yaml"
		if path.Ext(name) == ".py" {
			ctype = "text/x-python"
		}
		fmt.Fprintf(&b, "\nName: %s\nContent-Type: %s\nAlgorithm: SHA-256\nHash: %s\n", name, ctype, hex.EncodeToString(sum[:]))
	}
	return []byte(b.String())
}

func zipFiles(files map[string][]byte) ([]byte, []string, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
		hdr.SetMode(0o644)
		f, err := w.CreateHeader(hdr)
		if err != nil {
			return nil, nil, err
		}
		if _, err := f.Write(files[name]); err != nil {
			return nil, nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), names, nil
}
