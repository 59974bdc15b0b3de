package tackertest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// Zip packs files (path -> content) into a CSAR, in path order.
func Zip(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			panic(err)
		}
		_, _ = w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Sample VNFD facts: one flavour, a master VDU and a worker VDU that the
// aspect SampleAspect scales one VNFC a step, up to SampleMaxLevel. Its
// default instantiation level puts the aspect at level 1: one master, two
// workers, as Tacker's own Kubernetes sample package.
const (
	SampleFlavour  = "simple"
	SampleAspect   = "worker_scale"
	SampleMaxLevel = 3
	SampleProduct  = "Kubernetes with Cilium"
	SampleVersion  = "1.0"
	SampleMaster   = "masterNode"
	SampleWorker   = "workerNode"
	SampleLevelBig = "instantiation_level_2" // the aspect at level 3
)

const sampleScript = "#!/bin/sh\necho installing\n"

// SampleFiles are the files of a VNF package laid out as Tacker's sample
// packages are, for the vnfdId given: TOSCA.meta (with the Hash of its
// script), a top VNFD importing the node types and the flavour.
func SampleFiles(vnfdID string) map[string]string {
	sum := sha256.Sum256([]byte(sampleScript))
	r := strings.NewReplacer("VNFD_ID", vnfdID, "HASH", hex.EncodeToString(sum[:]))
	return map[string]string{
		"TOSCA-Metadata/TOSCA.meta": r.Replace(`TOSCA-Meta-File-Version: 1.0
CSAR-Version: 1.1
Created-by: tacker-cilium
Entry-Definitions: Definitions/vnfd_top.yaml

Name: Scripts/install.sh
Content-Type: application/x-sh
Algorithm: SHA-256
Hash: HASH
`),
		"Scripts/install.sh": sampleScript,
		"Definitions/vnfd_top.yaml": `tosca_definitions_version: tosca_simple_yaml_1_2
description: Kubernetes cluster with Cilium
imports:
  - vnfd_types.yaml
  - vnfd_df_simple.yaml
topology_template:
  node_templates:
    VNF:
      type: tacker_cilium.k8s.VNF
      properties:
        flavour_description: one master, scalable workers
`,
		"Definitions/vnfd_types.yaml": r.Replace(`tosca_definitions_version: tosca_simple_yaml_1_2
node_types:
  tacker_cilium.k8s.VNF:
    derived_from: tosca.nodes.nfv.VNF
    properties:
      descriptor_id:
        type: string
        default: VNFD_ID
      descriptor_version:
        type: string
        default: '1.0'
      provider:
        type: string
        default: tacker-cilium
      product_name:
        type: string
        default: Kubernetes with Cilium
      software_version:
        type: string
        default: '1.36'
      flavour_id:
        type: string
        default: simple
`),
		"Definitions/vnfd_df_simple.yaml": `tosca_definitions_version: tosca_simple_yaml_1_2
imports:
  - vnfd_types.yaml
topology_template:
  substitution_mappings:
    node_type: tacker_cilium.k8s.VNF
    properties:
      flavour_id: simple
  node_templates:
    masterNode:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: masterNode
    workerNode:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: workerNode
  policies:
    - scaling_aspects:
        type: tosca.policies.nfv.ScalingAspects
        properties:
          aspects:
            worker_scale:
              name: worker_scale
              description: worker nodes
              max_scale_level: 3
              step_deltas:
                - delta_1
    - workerNode_scaling_aspect_deltas:
        type: tosca.policies.nfv.VduScalingAspectDeltas
        properties:
          aspect: worker_scale
          deltas:
            delta_1:
              number_of_instances: 1
        targets: [ workerNode ]
    - masterNode_initial_delta:
        type: tosca.policies.nfv.VduInitialDelta
        properties:
          initial_delta:
            number_of_instances: 1
        targets: [ masterNode ]
    - workerNode_initial_delta:
        type: tosca.policies.nfv.VduInitialDelta
        properties:
          initial_delta:
            number_of_instances: 1
        targets: [ workerNode ]
    - instantiation_levels:
        type: tosca.policies.nfv.InstantiationLevels
        properties:
          levels:
            instantiation_level_1:
              description: two workers
              scale_info:
                worker_scale:
                  scale_level: 1
            instantiation_level_2:
              description: four workers
              scale_info:
                worker_scale:
                  scale_level: 3
          default_level: instantiation_level_1
`,
	}
}

// SampleCSAR is SampleFiles zipped.
func SampleCSAR(vnfdID string) []byte { return Zip(SampleFiles(vnfdID)) }
