package vnfpackage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type parsedTopology struct {
	NodeType      string `json:"node_type"`
	Requirements  map[string][]string
	NodeTemplates map[string]parsedNode `json:"node_templates"`
	Policies      map[string]parsedPolicy
	Groups        map[string]any
	Inputs        []string
}

type parsedNode struct {
	Type         string
	Properties   map[string]any
	Requirements []map[string]any
}

type parsedPolicy struct {
	Type       string
	Targets    []string
	Properties map[string]any
}

type parsedVNFD struct {
	Top      parsedTopology
	Flavours map[string]parsedTopology
}

func parseVNFD(t *testing.T, zipBytes []byte) (parsedVNFD, string, error) {
	t.Helper()
	out, err := python(t, nil, "parse_vnfd.py", writeZip(t, zipBytes))
	if err != nil {
		return parsedVNFD{}, out, err
	}
	var p parsedVNFD
	lastJSON(t, out, &p)
	return p, out, nil
}

// The CSAR goes through python3-tosca-parser as Tacker validates it on
// upload: the top VNFD, its imports and both flavours' substitutions.
func TestToscaParserReadsThePackage(t *testing.T) {
	c := build(t, testSpec())
	p, out, err := parseVNFD(t, c.Zip)
	require.NoError(t, err, out)

	vnf := p.Top.NodeTemplates["VNF"]
	assert.Equal(t, nodeType, vnf.Type)
	assert.Equal(t, c.VnfdID, vnf.Properties["descriptor_id"])
	assert.Equal(t, "1.36.4", vnf.Properties["software_version"])
	assert.Equal(t, "tacker-cilium", vnf.Properties["provider"])

	require.Len(t, p.Flavours, 2)
	for _, f := range testSpec().Flavours {
		df, ok := p.Flavours[f.ID]
		require.True(t, ok, "flavour %s not found by tosca-parser", f.ID)
		assert.Equal(t, nodeType, df.NodeType)
		assert.Equal(t, map[string][]string{
			"virtual_link_external1_1": {ControlPlaneCP, "virtual_link"},
			"virtual_link_external1_2": {WorkerCP, "virtual_link"},
		}, df.Requirements)

		types := map[string]string{}
		for name, n := range df.NodeTemplates {
			types[name] = n.Type
		}
		assert.Equal(t, map[string]string{
			"VNF": nodeType, ControlPlaneVDU: "tosca.nodes.nfv.Vdu.Compute", WorkerVDU: "tosca.nodes.nfv.Vdu.Compute",
			ControlPlaneCP: "tosca.nodes.nfv.VduCp", WorkerCP: "tosca.nodes.nfv.VduCp",
		}, types)
		assert.Equal(t, []map[string]any{{"virtual_binding": WorkerVDU}}, df.NodeTemplates[WorkerCP].Requirements)
		w := df.NodeTemplates[WorkerVDU].Properties
		assert.Equal(t, map[string]any{"min_number_of_instances": float64(f.Workers.Min), "max_number_of_instances": float64(f.Workers.Max)}, w["vdu_profile"])
		assert.Equal(t, "ubuntu-24.04", w["sw_image_data"].(map[string]any)["name"])

		pol := df.Policies
		aspects := pol["scaling_aspects"].Properties["aspects"].(map[string]any)
		require.Contains(t, aspects, AspectID)
		assert.Equal(t, float64(f.Workers.Max-f.Workers.Min), aspects[AspectID].(map[string]any)["max_scale_level"])
		assert.Equal(t, "tosca.policies.nfv.VduScalingAspectDeltas", pol["worker_scaling_aspect_deltas"].Type)
		assert.Equal(t, []string{WorkerVDU}, pol["worker_scaling_aspect_deltas"].Targets)
		assert.Equal(t, AspectID, pol["worker_scaling_aspect_deltas"].Properties["aspect"])
		assert.Equal(t, map[string]any{"number_of_instances": float64(f.Workers.Min)}, pol["worker_initial_delta"].Properties["initial_delta"])
		assert.Equal(t, map[string]any{"number_of_instances": float64(1)}, pol["controlplane_initial_delta"].Properties["initial_delta"])
		levels := pol["instantiation_levels"].Properties
		assert.Equal(t, InstantiationLevelID, levels["default_level"])
		assert.Equal(t, map[string]any{AspectID: map[string]any{"scale_level": float64(f.Workers.Initial - f.Workers.Min)}},
			levels["levels"].(map[string]any)[InstantiationLevelID].(map[string]any)["scale_info"])
		assert.Equal(t, map[string]any{InstantiationLevelID: map[string]any{"number_of_instances": float64(f.Workers.Initial)}},
			pol["worker_instantiation_levels"].Properties["levels"])
		assert.Empty(t, df.Groups)
	}
}

// The parser is strict enough to catch a broken VNFD, so the test above
// can fail.
func TestToscaParserRefusesABrokenVNFD(t *testing.T) {
	c := build(t, testSpec())
	df := "Definitions/" + dfFile("simple")
	for name, edit := range map[string]func(string) string{
		"required property missing": func(s string) string {
			return strings.Replace(s, "            virtual_cpu:\n", "            virtual_cpux:\n", 1)
		},
		"missing import": func(s string) string {
			return strings.Replace(s, "  - "+typesFile+"\n", "  - missing_types.yaml\n", 1)
		},
	} {
		orig := string(entries(t, c.Zip)[df])
		broken := edit(orig)
		require.NotEqual(t, orig, broken, name)
		_, out, err := parseVNFD(t, rezip(t, c.Zip, df, []byte(broken)))
		assert.Error(t, err, "%s: tosca-parser accepted it:\n%s", name, out)
	}
}
