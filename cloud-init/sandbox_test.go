package cloudinit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tacker-cilium/tacker-cilium/internal/tooltest"
)

// sandbox is a throw-away root in which bootstrap.sh runs for real, as root,
// in its own mount, network and UTS namespaces: the host's /usr read-only
// (bash, coreutils, iproute2, dpkg-query, cloud-init), its own /etc, /var,
// /run and /root, and a network with two interfaces of which one carries
// the default route. What needs the internet or a kernel (apt repositories,
// curl and gpg, kubeadm, systemctl, modprobe, sysctl, swapoff) and sleep are
// shims first on PATH that record their calls in /log/calls; apt-get records
// what it installs in dpkg's status file, which the real dpkg-query reads, and
// kubeadm writes and removes what kubeadm writes and removes.
type sandbox struct {
	t    *testing.T
	root string
	// Hostname is the namespace's host name, the one a Nova instance gets
	// from its metadata.
	Hostname string
}

// Addresses of the sandbox's network: eth1 comes first but the default
// route leaves through eth0.
const (
	sandboxDefaultIP = "192.0.2.10"
	sandboxOtherIP   = "198.51.100.7"
)

const shimLib = `record() { printf '%s\n' "${0##*/} $*" >>/log/calls; }
`

var shims = map[string]string{
	"modprobe": "record \"$@\"", "sysctl": "record \"$@\"", "swapoff": "record \"$@\"",
	"systemctl": "record \"$@\"", "apt-mark": "record \"$@\"", "sleep": "record \"$@\"",
	"curl": `record "$@"
printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\nrecorded by the curl shim\n-----END PGP PUBLIC KEY BLOCK-----\n'`,
	"gpg": `record "$@"
out=; prev=
for a; do [[ $prev == -o ]] && out=$a; prev=$a; done
cat >"$out"`,
	// Records the packages as dpkg would, at a version the pin allows.
	"apt-get": `record "$@"
installing=; skip=
for a; do
  if [[ -n $skip ]]; then skip=; continue; fi
  case $a in
    -o) skip=1 ;;
    -*) ;;
    install) installing=1 ;;
    *=*) [[ -n $installing ]] || continue
      v=${a#*=}; v=${v%\*}
      if [[ $v == *- ]]; then v+=1.1; else v+=0-1.1; fi
      printf 'Package: %s\nStatus: install ok installed\nVersion: %s\nArchitecture: amd64\nMaintainer: shim\nDescription: shim\n\n' "${a%%=*}" "$v" >>/var/lib/dpkg/status ;;
  esac
done`,
	// kubeadm writes kubelet.conf early in init and join, admin.conf on a
	// control plane; reset removes them and empties the certificate folder.
	// /shim-state/kubeadm-crash kills bootstrap.sh in the middle of kubeadm,
	// /shim-state/kubeadm-fail holds how many attempts fail.
	"kubeadm": `record "$@"
case $1 in
  init | join)
    config=; prev=
    for a; do [[ $prev == --config ]] && config=$a; prev=$a; done
    n=$(find /log -name 'kubeadm-config-*' | wc -l)
    cp "$config" "/log/kubeadm-config-$n.yaml"
    mkdir -p /etc/kubernetes/manifests
    echo "kubelet kubeconfig" >/etc/kubernetes/kubelet.conf
    if [[ -f /shim-state/kubeadm-crash ]]; then
      rm /shim-state/kubeadm-crash
      kill -9 "$PPID"
      exit 1
    fi
    if [[ -s /shim-state/kubeadm-fail ]] && (($(</shim-state/kubeadm-fail) > 0)); then
      echo $(($(</shim-state/kubeadm-fail) - 1)) >/shim-state/kubeadm-fail
      echo "kubeadm shim: failing as asked" >&2
      exit 1
    fi
    if [[ $1 == init ]] || grep -q '^controlPlane:' "$config"; then
      echo "admin kubeconfig" >/etc/kubernetes/admin.conf
    fi
    ;;
  reset)
    rm -rf /etc/kubernetes/kubelet.conf /etc/kubernetes/admin.conf /etc/kubernetes/manifests
    find /etc/kubernetes/pki -mindepth 1 -delete 2>/dev/null || true
    ;;
esac`,
	// The real cloud-init, recorded.
	"cloud-init": `record "$@"
exec /usr/bin/cloud-init "$@"`,
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	for _, name := range []string{"unshare", "chroot", "ip", "hostname", "dpkg-query", "cloud-init", "cmp"} {
		tooltest.Path(t, name)
	}
	s := &sandbox{t: t, root: t.TempDir(), Hostname: "sandbox"}
	for _, d := range []string{"usr", "dev", "etc/ssl/certs", "var/lib/dpkg/updates", "var/lib/dpkg/info",
		"var/lib/cloud/instance", "run/cloud-init", "root", "tmp", "shims", "log", "shim-state"} {
		s.mkdir(d)
	}
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		require.NoError(t, os.Symlink("usr/"+l, filepath.Join(s.root, l)))
	}
	s.write("shims/lib.sh", 0o644, shimLib)
	for name, body := range shims {
		s.write("shims/"+name, 0o755, "#!/bin/bash\nset -eu\n. /shims/lib.sh\n"+body+"\n")
	}
	// What a cloud image has before bootstrap.sh runs.
	s.write("etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/bash\n")
	s.write("etc/group", 0o644, "root:x:0:\n")
	s.write("etc/fstab", 0o644, "UUID=0b1c /  ext4  defaults  0 1\n/swap.img\tnone\tswap\tsw\t0\t0\n")
	s.write("etc/ssl/certs/ca-certificates.crt", 0o644, "certificates\n")
	s.write("var/lib/dpkg/status", 0o644, "")
	return s
}

// onOpenStack lays out the instance data cloud-init leaves on a Nova instance.
func (s *sandbox) onOpenStack(instanceID string) {
	data := fmt.Sprintf(`{"v1": {"instance_id": %q, "local_hostname": %q, "platform": "openstack", "cloud_name": "openstack"}}`, instanceID, s.Hostname)
	s.write("run/cloud-init/instance-data.json", 0o644, data)
	s.write("run/cloud-init/instance-data-sensitive.json", 0o600, data)
	s.write("var/lib/cloud/instance/user-data.txt", 0o600, "#cloud-config\n")
	s.write("var/lib/cloud/instance/vendor-data.txt", 0o600, "")
	s.write("var/lib/cloud/instance/vendor-data2.txt", 0o600, "")
}

func (s *sandbox) write(path string, mode os.FileMode, content string) {
	s.t.Helper()
	p := filepath.Join(s.root, path)
	require.NoError(s.t, os.WriteFile(p, []byte(content), mode))
	require.NoError(s.t, os.Chmod(p, mode))
}

func (s *sandbox) mkdir(path string) {
	s.t.Helper()
	require.NoError(s.t, os.MkdirAll(filepath.Join(s.root, path), 0o755))
}

// read is a file of the sandbox; "" when it does not exist.
func (s *sandbox) read(path string) string {
	b, err := os.ReadFile(filepath.Join(s.root, path))
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(s.t, err)
	return string(b)
}

// run feeds script to `bash -s` as root inside the sandbox, as
// remote.Command does over SSH, and returns its output and the calls the
// shims recorded during this run.
func (s *sandbox) run(script string) (out string, calls []string, err error) {
	s.t.Helper()
	require.NoError(s.t, os.WriteFile(filepath.Join(s.root, "log", "calls"), nil, 0o644))
	setup := `set -e
mount --bind /usr "$R/usr"
mount -o remount,bind,ro "$R/usr"
mount --bind /dev "$R/dev"
ip link set lo up
ip link add eth1 type veth peer name eth8
ip link add eth0 type veth peer name eth9
for l in eth1 eth8 eth0 eth9; do ip link set "$l" up; done
ip address add ` + sandboxOtherIP + `/24 dev eth1
ip address add ` + sandboxDefaultIP + `/24 dev eth0
ip route add default via 192.0.2.1 dev eth0
hostname "$HOST_NAME"
exec chroot "$R" /usr/bin/env -i PATH=/shims:/usr/sbin:/usr/bin HOME=/root LANG=C.UTF-8 bash -s <"$SCRIPT"`
	scriptPath := filepath.Join(s.t.TempDir(), "script.sh")
	require.NoError(s.t, os.WriteFile(scriptPath, []byte(script), 0o600))
	args := []string{"--mount", "--net", "--uts", "--fork"}
	if os.Geteuid() != 0 {
		args = append([]string{"--user", "--map-root-user"}, args...)
	}
	cmd := exec.Command(tooltest.Path(s.t, "unshare"), append(args, "--", "bash", "-c", setup)...)
	cmd.Env = append(os.Environ(), "R="+s.root, "SCRIPT="+scriptPath, "HOST_NAME="+s.Hostname)
	b, err := cmd.CombinedOutput()
	if log := strings.TrimSpace(s.read("log/calls")); log != "" {
		calls = strings.Split(log, "\n")
	}
	return string(b), calls, err
}

// snapshot describes every file and folder of the sandbox's own tree (type,
// mode, owner, size, modification time, inode, content), so that two
// snapshots differ whenever a run changed anything.
func (s *sandbox) snapshot() map[string]string {
	s.t.Helper()
	out := map[string]string{}
	skip := map[string]bool{"usr": true, "dev": true, "log": true, "shims": true, "shim-state": true}
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.root, p)
		if skip[rel] {
			return filepath.SkipDir
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v uid=%d gid=%d size=%d mtime=%d inode=%d", info.Mode(), st.Uid, st.Gid, info.Size(), info.ModTime().UnixNano(), st.Ino)
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			desc += " sha256=" + hex.EncodeToString(sum[:])
		}
		out[rel] = desc
		return nil
	})
	require.NoError(s.t, err)
	return out
}

// ownerAndMode of a sandbox file, like "root 0600": root is the sandbox's
// root, whom the test's user maps to when it is not root itself.
func (s *sandbox) ownerAndMode(path string) string {
	info, err := os.Stat(filepath.Join(s.root, path))
	require.NoError(s.t, err)
	owner := "not root"
	if st := info.Sys().(*syscall.Stat_t); int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		owner = "root"
	}
	return fmt.Sprintf("%s %04o", owner, info.Mode().Perm())
}

// matching are the calls that start with prefix.
func matching(calls []string, prefix string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}
