package vnfpackage

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// intrinsic is one use of a Heat function: its name and argument.
type intrinsic struct {
	fn  string
	arg any
}

func intrinsics(node any) []intrinsic {
	var out []intrinsic
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			switch k {
			case "get_param", "get_resource", "get_attr", "get_file":
				out = append(out, intrinsic{k, v})
			}
			out = append(out, intrinsics(v)...)
		}
	case []any:
		for _, v := range n {
			out = append(out, intrinsics(v)...)
		}
	}
	return out
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkTemplate checks the references inside one template.
func checkTemplate(t *testing.T, name string, tmpl map[string]any, zipFiles map[string][]byte) {
	t.Helper()
	// YAML reads the version as a date; Heat's loader keeps it a string.
	assert.True(t, strings.HasPrefix(string(zipFiles[name]), "heat_template_version: 2018-08-31\n"), name)
	params, _ := tmpl["parameters"].(map[string]any)
	resources, _ := tmpl["resources"].(map[string]any)
	require.NotEmpty(t, resources, name)
	for _, in := range intrinsics(tmpl["resources"]) {
		switch in.fn {
		case "get_param":
			p := in.arg
			if l, ok := p.([]any); ok {
				p = l[0]
			}
			ps, _ := p.(string)
			assert.True(t, params[ps] != nil || strings.HasPrefix(ps, "OS::"), "%s: get_param %v names no declared parameter", name, in.arg)
		case "get_resource":
			assert.Contains(t, resources, in.arg, "%s: get_resource %v", name, in.arg)
		case "get_attr":
			l, ok := in.arg.([]any)
			require.True(t, ok && len(l) >= 2, "%s: get_attr %v", name, in.arg)
			assert.Contains(t, resources, l[0], "%s: get_attr %v", name, in.arg)
		case "get_file":
			p, _ := in.arg.(string)
			assert.Contains(t, zipFiles, path.Join(path.Dir(name), p), "%s: get_file %v", name, in.arg)
		}
	}
}

func TestHeatTemplatesAreConsistent(t *testing.T) {
	files := entries(t, build(t, testSpec()).Zip)
	for _, f := range testSpec().Flavours {
		dir := "BaseHOT/" + f.ID + "/"
		topName := dir + "cluster_hot_top.yaml"
		top := yamlMap(t, files[topName])
		checkTemplate(t, topName, top, files)

		// Everything but nfv carries user data: hidden, fed by additionalParams.
		params := top["parameters"].(map[string]any)
		assert.Equal(t, []string{controlPlaneUD, "nfv", workerUD}, keys(params))
		for name, p := range params {
			assert.Equal(t, name != "nfv", p.(map[string]any)["hidden"] == true, "%s hidden", name)
		}

		res := top["resources"].(map[string]any)
		asg := res[WorkerVDU+"_scale_group"].(map[string]any)
		assert.Equal(t, "OS::Heat::AutoScalingGroup", asg["type"])
		ap := asg["properties"].(map[string]any)
		assert.Equal(t, f.Workers.Min, ap["min_size"])
		assert.Equal(t, f.Workers.Max, ap["max_size"])
		assert.Equal(t, map[string]any{"get_param": []any{"nfv", "VDU", WorkerVDU, "desired_capacity"}}, ap["desired_capacity"])
		policy := f.ServerGroupPolicy
		if policy == "" {
			policy = "soft-anti-affinity"
		}
		for _, g := range []string{ControlPlaneVDU + "_affinity", WorkerVDU + "_affinity"} {
			sg := res[g].(map[string]any)
			assert.Equal(t, "OS::Nova::ServerGroup", sg["type"])
			assert.Equal(t, []any{policy}, sg["properties"].(map[string]any)["policies"])
		}

		// Nested templates get exactly the parameters they declare, all of them.
		nestedUses := map[string]map[string]any{
			ControlPlaneVDU + ".yaml": res[ControlPlaneVDU].(map[string]any),
			WorkerVDU + ".yaml":       ap["resource"].(map[string]any),
		}
		for file, use := range nestedUses {
			name := dir + "nested/" + file
			require.Contains(t, files, name)
			assert.Equal(t, file, use["type"])
			nested := yamlMap(t, files[name])
			checkTemplate(t, name, nested, files)
			np := nested["parameters"].(map[string]any)
			assert.Equal(t, keys(np), keys(use["properties"].(map[string]any)), "%s: parameters vs what %s passes", name, topName)
			for pname, p := range np {
				assert.NotContains(t, p, "default", "%s: %s", name, pname)
			}
			assert.Equal(t, true, np["user_data"].(map[string]any)["hidden"], name)
			// Tacker finds VNFCs (servers) and their ports by VDU and CP name,
			// and reads the flavor of group members from "flavor".
			vdu := strings.TrimSuffix(file, ".yaml")
			nres := nested["resources"].(map[string]any)
			server := nres[vdu].(map[string]any)
			assert.Equal(t, "OS::Nova::Server", server["type"], name)
			sp := server["properties"].(map[string]any)
			assert.Equal(t, "RAW", sp["user_data_format"], name)
			assert.Equal(t, "IGNORE", sp["user_data_update_policy"], name)
			assert.Equal(t, map[string]any{"get_param": "user_data"}, sp["user_data"], name)
			assert.Contains(t, np, "flavor", name)
		}
		assert.Equal(t, "OS::Neutron::Port", yamlMap(t, files[dir+"nested/worker.yaml"])["resources"].(map[string]any)[WorkerCP].(map[string]any)["type"])
		// The control plane's server uses the pre-created port, made by no template.
		cpServer := yamlMap(t, files[dir+"nested/controlplane.yaml"])["resources"].(map[string]any)
		assert.Equal(t, []string{ControlPlaneVDU}, keys(cpServer))
		assert.Equal(t, map[string]any{"get_param": []any{"nfv", "CP", ControlPlaneCP, "port"}}, res[ControlPlaneVDU].(map[string]any)["properties"].(map[string]any)["port"])
	}
}

// python-heatclient reads each flavour's templates as `openstack stack
// create` does, from the layout Tacker gives Heat (nested templates by base
// name next to the top one), resolving every nested type.
func TestHeatclientReadsTheTemplates(t *testing.T) {
	files := entries(t, build(t, testSpec()).Zip)
	for _, f := range testSpec().Flavours {
		dir := t.TempDir()
		var want []string
		for name, data := range files {
			if strings.HasPrefix(name, "BaseHOT/"+f.ID+"/") {
				require.NoError(t, os.WriteFile(filepath.Join(dir, path.Base(name)), data, 0o644))
				if strings.Contains(name, "/nested/") {
					want = append(want, "file://"+filepath.Join(dir, path.Base(name)))
				}
			}
		}
		sort.Strings(want)
		out, err := python(t, nil, "heat_contents.py", filepath.Join(dir, "cluster_hot_top.yaml"))
		require.NoError(t, err, out)
		var got struct {
			Files    []string
			Template map[string]any
		}
		lastJSON(t, out, &got)
		assert.Equal(t, want, got.Files, f.ID)
		assert.Equal(t, fmt.Sprintf("vnf: Kubernetes with Cilium, flavour %s", f.ID), got.Template["description"])
	}
}

// heatclient refuses a nested type that is not there, so the test above
// can fail.
func TestHeatclientRefusesAMissingNestedTemplate(t *testing.T) {
	files := entries(t, build(t, testSpec()).Zip)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "top.yaml"), files["BaseHOT/simple/cluster_hot_top.yaml"], 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "controlplane.yaml"), files["BaseHOT/simple/nested/controlplane.yaml"], 0o644))
	out, err := python(t, nil, "heat_contents.py", filepath.Join(dir, "top.yaml"))
	assert.Error(t, err, out)
	assert.Contains(t, out, "worker.yaml")
}
