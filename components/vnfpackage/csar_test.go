package vnfpackage

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildIsDeterministic(t *testing.T) {
	a, b := build(t, testSpec()), build(t, testSpec())
	assert.Equal(t, a.Zip, b.Zip)
	assert.Equal(t, a.SHA256, b.SHA256)
	assert.Equal(t, a.VnfdID, b.VnfdID)
	sum := sha256.Sum256(a.Zip)
	assert.Equal(t, hex.EncodeToString(sum[:]), a.SHA256)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a.VnfdID)

	r, err := zip.NewReader(bytes.NewReader(a.Zip), int64(len(a.Zip)))
	require.NoError(t, err)
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
		assert.Equal(t, "2026-01-01T00:00:00Z", f.Modified.UTC().Format("2006-01-02T15:04:05Z"), f.Name)
		assert.Equal(t, "-rw-r--r--", f.Mode().String(), f.Name)
	}
	assert.True(t, sort.StringsAreSorted(names), names)
	assert.Equal(t, names, a.Files)
}

func TestChangedSpecChangesHashAndVnfdID(t *testing.T) {
	base := build(t, testSpec())
	for name, change := range map[string]func(*Spec){
		"version":       func(s *Spec) { s.Version = "1.1" },
		"product":       func(s *Spec) { s.ProductName = "other" },
		"software":      func(s *Spec) { s.SoftwareVersion = "1.35.4" },
		"cluster name":  func(s *Spec) { s.ClusterName = "other" },
		"worker flavor": func(s *Spec) { s.Flavours[0].Workers.Flavor = "m1.xlarge" },
		"image":         func(s *Spec) { s.Flavours[0].ControlPlane.Image.Name = "debian-12" },
		"max workers":   func(s *Spec) { s.Flavours[0].Workers.Max = 6 },
		"policy":        func(s *Spec) { s.Flavours[1].ServerGroupPolicy = "soft-affinity" },
		"flavours":      func(s *Spec) { s.Flavours = s.Flavours[:1] },
	} {
		s := testSpec()
		change(&s)
		c := build(t, s)
		assert.NotEqual(t, base.SHA256, c.SHA256, name)
		assert.NotEqual(t, base.VnfdID, c.VnfdID, name)
		assert.Contains(t, string(entries(t, c.Zip)[TopVNFDPath]), c.VnfdID, name)
	}
}

// metaBlocks parses TOSCA.meta: the block 0 keys, then one map per artifact.
func metaBlocks(t *testing.T, meta string) []map[string]string {
	t.Helper()
	var blocks []map[string]string
	for _, block := range strings.Split(strings.TrimSpace(meta), "\n\n") {
		m := map[string]string{}
		for _, line := range strings.Split(block, "\n") {
			k, v, ok := strings.Cut(line, ": ")
			require.True(t, ok, "TOSCA.meta line %q", line)
			m[k] = v
		}
		blocks = append(blocks, m)
	}
	return blocks
}

func TestToscaMetaListsEveryArtifactWithItsHash(t *testing.T) {
	files := entries(t, build(t, testSpec()).Zip)
	blocks := metaBlocks(t, string(files[MetaPath]))
	assert.Equal(t, map[string]string{
		"TOSCA-Meta-File-Version": "1.0", "CSAR-Version": "1.1",
		"Created-by": "tacker-cilium", "Entry-Definitions": TopVNFDPath,
	}, blocks[0])
	require.Contains(t, files, blocks[0]["Entry-Definitions"])

	listed := map[string]bool{}
	for _, b := range blocks[1:] {
		data, ok := files[b["Name"]]
		require.True(t, ok, "TOSCA.meta lists %s, which is not in the zip", b["Name"])
		sum := sha256.Sum256(data)
		assert.Equal(t, "SHA-256", b["Algorithm"], b["Name"])
		assert.Equal(t, hex.EncodeToString(sum[:]), b["Hash"], b["Name"])
		assert.NotEmpty(t, b["Content-Type"], b["Name"])
		listed[b["Name"]] = true
	}
	// Tacker checks what is listed: every artifact outside Definitions/ is.
	for name := range files {
		if !strings.HasPrefix(name, "Definitions/") && name != MetaPath {
			assert.True(t, listed[name], "%s is not listed in TOSCA.meta", name)
		}
	}
	assert.True(t, listed[UserDataPath])
}

func TestBadSpecNamesFieldValueAndWhatIsAccepted(t *testing.T) {
	for want, change := range map[string]func(*Spec){
		`ClusterName: "Bad_Name" is not a DNS-1123 label`:                     func(s *Spec) { s.ClusterName = "Bad_Name" },
		`SoftwareVersion: "" is empty`:                                        func(s *Spec) { s.SoftwareVersion = "" },
		`Flavours: empty`:                                                     func(s *Spec) { s.Flavours = nil },
		`Flavours[1].ID: "simple" is used by another flavour`:                 func(s *Spec) { s.Flavours[1].ID = "simple" },
		`Flavours[0].ID: "Simple!" is not a flavour id`:                       func(s *Spec) { s.Flavours[0].ID = "Simple!" },
		`Flavours[0].ControlPlane.Count: "3" is not 1`:                        func(s *Spec) { s.Flavours[0].ControlPlane.Count = 3 },
		`Flavours[0].ControlPlane.VCPUs: "1" is below 2`:                      func(s *Spec) { s.Flavours[0].ControlPlane.VCPUs = 1 },
		`Flavours[0].ControlPlane.MemoryMB: "1024" is below 1700 MB`:          func(s *Spec) { s.Flavours[0].ControlPlane.MemoryMB = 1024 },
		`Flavours[0].Workers.Flavor: "" is not a Nova flavour name`:           func(s *Spec) { s.Flavours[0].Workers.Flavor = "" },
		`Flavours[0].Workers.Min: "-1" is negative`:                           func(s *Spec) { s.Flavours[0].Workers.Min = -1 },
		`Flavours[0].Workers.Max: "0" is below 1 or below Workers.Min (1)`:    func(s *Spec) { s.Flavours[0].Workers.Max = 0 },
		`Flavours[0].Workers.Initial: "9" is outside Workers.Min-Workers.Max`: func(s *Spec) { s.Flavours[0].Workers.Initial = 9 },
		`Flavours[0].ServerGroupPolicy: "spread" is not one of soft-anti-affinity, anti-affinity`: func(s *Spec) {
			s.Flavours[0].ServerGroupPolicy = "spread"
		},
		`Flavours[0].Workers.Image.ChecksumAlgorithm: "md5" is not sha-224, sha-256, sha-384 or sha-512 (ETSI SOL001 ChecksumData)`: func(s *Spec) {
			s.Flavours[0].Workers.Image.ChecksumAlgorithm = "md5"
		},
		`Flavours[0].Workers.Image.Checksum: "abc" is not 64 lower-case hex digits (sha-256)`: func(s *Spec) {
			s.Flavours[0].Workers.Image.Checksum = "abc"
		},
		`Flavours[0].Workers.Image.DiskFormat: "qcow3" is not one of`: func(s *Spec) { s.Flavours[0].Workers.Image.DiskFormat = "qcow3" },
		`Flavours[0].Workers.Image.SizeBytes: "0" is not positive`:    func(s *Spec) { s.Flavours[0].Workers.Image.SizeBytes = 0 },
		`Flavours[0].Workers.Image.Name: "" is not a Glance image name`: func(s *Spec) {
			s.Flavours[0].Workers.Image.Name = ""
		},
	} {
		s := testSpec()
		change(&s)
		_, err := Build(s)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}

// Every problem is reported at once.
func TestBadSpecReportsEveryProblem(t *testing.T) {
	s := testSpec()
	s.ClusterName = ""
	s.Flavours[0].Workers.Min = -1
	s.Flavours[1].ControlPlane.Flavor = ""
	_, err := Build(s)
	require.Error(t, err)
	assert.Len(t, regexp.MustCompile(`(?m)^`).FindAllString(err.Error(), -1), 3, err.Error())
}
