# Tacker's vnflcm v2 runs this class (additionalParams
# 'lcm-operation-user-data' and 'lcm-operation-user-data-class') in a
# separate python3 process for every LCM operation of the cluster: it gets
# the request, the VNF instance, the grant request and the grant as dicts
# and the extracted package's directory, and returns the Heat stack fields.
#
# It depends on nothing but PyYAML, so it runs the same on every Tacker
# release with the v2 API. It follows the contract of Tacker's own
# DefaultUserData (workers in an OS::Heat::AutoScalingGroup sized by
# nfv.VDU.<vdu>.desired_capacity) and adds what the cluster needs:
#   - the control plane's pre-created port, given as an extLinkPort and
#     bound with cpConfig.linkPortId, becomes nfv.CP.<cp>.port;
#   - every top-level Heat parameter other than nfv is hidden and taken from
#     the key of the same name of additionalParams.heat_parameters (the
#     nodes' user_data: Tacker refuses top-level additionalParams strings
#     longer than 255 characters, nested ones it passes as they are);
#   - an nfv value nobody filled fails here, naming its path, rather than
#     deep inside Heat.

import glob
import os

import yaml

NFV = 'nfv'
HIDDEN = 'heat_parameters'


class ClusterUserData(object):

    @staticmethod
    def instantiate(req, inst, grant_req, grant, tmp_csar_dir):
        pkg = _Package(tmp_csar_dir, req['flavourId'])
        nfv = pkg.skeleton()
        add = _compute_adds(grant_req)
        for vdu, value in nfv.get('VDU', {}).items():
            if 'computeFlavourId' in value:
                value['computeFlavourId'] = pkg.flavor(vdu, grant)
            if 'vcImageId' in value:
                value['vcImageId'] = pkg.image(vdu, grant)
            if 'desired_capacity' in value:
                value['desired_capacity'] = add.get(vdu, 0)
        links = _ext_links(grant.get('extVirtualLinks', []) +
                           req.get('extVirtualLinks', []))
        for cp, value in nfv.get('CP', {}).items():
            _fill_cp(cp, value, links)
        nfv = _merge(nfv, req.get('additionalParams', {}).get(NFV, {}))
        nfv = _merge(nfv, grant.get('additionalParams', {}).get(NFV, {}))
        _check_filled(nfv, NFV)

        params = {NFV: nfv}
        params.update(pkg.hidden_params(req, required=True))
        return {
            'template': pkg.top_text,
            'parameters': params,
            'files': pkg.files,
        }

    @staticmethod
    def scale(req, inst, grant_req, grant, tmp_csar_dir):
        # Tacker merges the returned nfv into the stack's and updates it.
        pkg = _Package(tmp_csar_dir, _inst_flavour(inst))
        return _capacity_fields(pkg, inst, grant_req, rollback=False)

    @staticmethod
    def scale_rollback(req, inst, grant_req, grant, tmp_csar_dir):
        pkg = _Package(tmp_csar_dir, _inst_flavour(inst))
        return _capacity_fields(pkg, inst, grant_req, rollback=True)

    @staticmethod
    def heal(req, inst, grant_req, grant, tmp_csar_dir):
        # Tacker marks the servers to heal unhealthy and updates the stack:
        # nothing changes. Healing everything ("all": true without
        # vnfcInstanceId) creates the stack anew, and only nfv survives that,
        # so the hidden parameters must come with the heal request then.
        pkg = _Package(tmp_csar_dir, _inst_flavour(inst))
        add = req.get('additionalParams', {})
        recreate = add.get('all', False) and not req.get('vnfcInstanceId')
        params = {NFV: {}}
        params.update(pkg.hidden_params(req, required=recreate))
        return {'parameters': params}

    @staticmethod
    def change_ext_conn(req, inst, grant_req, grant, tmp_csar_dir):
        pkg = _Package(tmp_csar_dir, _inst_flavour(inst))
        links = _ext_links(grant.get('extVirtualLinks', []) +
                           req.get('extVirtualLinks', []))
        return {'parameters': {NFV: {'CP': _changed_cps(pkg, links)}}}

    @staticmethod
    def change_ext_conn_rollback(req, inst, grant_req, grant, tmp_csar_dir):
        pkg = _Package(tmp_csar_dir, _inst_flavour(inst))
        info = inst['instantiatedVnfInfo'].get('extVirtualLinkInfo', [])
        links = _ext_links([{
            'resourceId': vl['resourceHandle']['resourceId'],
            'extCps': vl.get('currentVnfExtCpData', []),
            'extLinkPorts': vl.get('extLinkPorts', []),
        } for vl in info])
        return {'parameters': {NFV: {'CP': _changed_cps(pkg, links)}}}

    @staticmethod
    def change_vnfpkg(req, inst, grant_req, grant, tmp_csar_dir):
        raise ValueError('change_vnfpkg is not supported by this package: '
                         'build a new package and instantiate it')

    @staticmethod
    def change_vnfpkg_rollback(req, inst, grant_req, grant, tmp_csar_dir):
        raise ValueError('change_vnfpkg is not supported by this package')


class _Package(object):
    """The flavour's BaseHOT and VNFD, read from the extracted package."""

    def __init__(self, csar_dir, flavour_id):
        self.flavour_id = flavour_id
        hot_dir = os.path.join(csar_dir, 'BaseHOT', flavour_id)
        tops = sorted(glob.glob(os.path.join(hot_dir, '*.yaml')))
        if len(tops) != 1:
            raise ValueError('flavourId %r: want one template in %s, found %d'
                             % (flavour_id, hot_dir, len(tops)))
        with open(tops[0]) as f:
            self.top_text = f.read()
        self.top = yaml.safe_load(self.top_text)
        # Heat resolves "type: worker.yaml" against these names.
        self.files = {}
        for path in sorted(glob.glob(os.path.join(hot_dir, 'nested', '*.yaml'))):
            with open(path) as f:
                self.files[os.path.basename(path)] = f.read()
        self.vdus = self._vdus(csar_dir)

    def _vdus(self, csar_dir):
        for path in sorted(glob.glob(os.path.join(csar_dir, 'Definitions', '*.yaml'))):
            with open(path) as f:
                doc = yaml.safe_load(f) or {}
            topo = doc.get('topology_template') or {}
            mapping = topo.get('substitution_mappings') or {}
            if (mapping.get('properties') or {}).get('flavour_id') == self.flavour_id:
                return {name: node for name, node in
                        (topo.get('node_templates') or {}).items()
                        if node.get('type') == 'tosca.nodes.nfv.Vdu.Compute'}
        raise ValueError('flavourId %r: no deployment flavour of that id in '
                         'Definitions/' % self.flavour_id)

    def skeleton(self):
        """nfv with a None at every path the top template reads."""
        nfv = {}
        for path in _get_params(self.top.get('resources', {})):
            if len(path) < 3 or path[0] != NFV:
                continue
            _set_path(nfv, path[1:], None)
        return nfv

    def flavor(self, vdu, grant):
        # The NFVO's grant wins over the VNFD, as in Tacker's own classes.
        for f in grant.get('vimAssets', {}).get('computeResourceFlavours', []):
            if f.get('vnfdVirtualComputeDescId') == vdu:
                return f['vimFlavourId']
        caps = (self._vdu(vdu).get('capabilities', {})
                .get('virtual_compute', {}).get('properties', {}))
        return (caps.get('requested_additional_capabilities', {})
                .get('properties', {}).get('requested_additional_capability_name'))

    def image(self, vdu, grant):
        for i in grant.get('vimAssets', {}).get('softwareImages', []):
            if i.get('vnfdSoftwareImageId') == vdu:
                return i['vimSoftwareImageId']
        return self._vdu(vdu).get('properties', {}).get('sw_image_data', {}).get('name')

    def _vdu(self, vdu):
        if vdu not in self.vdus:
            raise ValueError('nfv.VDU.%s: no VDU of that name in flavour %r'
                             % (vdu, self.flavour_id))
        return self.vdus[vdu]

    def hidden_params(self, req, required):
        add = req.get('additionalParams', {}).get(HIDDEN, {})
        params = {}
        for name in sorted(self.top.get('parameters', {})):
            if name == NFV:
                continue
            if name in add:
                if not isinstance(add[name], str) or not add[name]:
                    raise ValueError('additionalParams.%s.%s: want a '
                                     'non-empty string' % (HIDDEN, name))
                params[name] = add[name]
            elif required:
                raise ValueError('additionalParams.%s.%s: missing (the Heat '
                                 'parameter %s of flavour %r has no other '
                                 'source)' % (HIDDEN, name, name,
                                              self.flavour_id))
        return params


def _inst_flavour(inst):
    return inst['instantiatedVnfInfo']['flavourId']


def _compute_adds(grant_req, key='addResources'):
    counts = {}
    for res in grant_req.get(key, []):
        if res.get('type') == 'COMPUTE':
            vdu = res['resourceTemplateId']
            counts[vdu] = counts.get(vdu, 0) + 1
    return counts


def _capacity_fields(pkg, inst, grant_req, rollback):
    current = {}
    for vnfc in inst.get('instantiatedVnfInfo', {}).get('vnfcResourceInfo', []):
        current[vnfc['vduId']] = current.get(vnfc['vduId'], 0) + 1
    add = _compute_adds(grant_req)
    remove = _compute_adds(grant_req, 'removeResources')
    vdus = {}
    for vdu, value in pkg.skeleton().get('VDU', {}).items():
        if 'desired_capacity' not in value:
            continue
        n = current.get(vdu, 0)
        if not rollback:
            n += add.get(vdu, 0) - remove.get(vdu, 0)
        vdus[vdu] = {'desired_capacity': n}
    return {'parameters': {NFV: {'VDU': vdus}}}


def _ext_links(vls):
    """cpdId -> (network id, subnet ids, bound port id) of the ext VLs."""
    links = {}
    for vl in vls:
        ports = {p['id']: p['resourceHandle']['resourceId']
                 for p in vl.get('extLinkPorts', [])}
        for cp in vl.get('extCps', []):
            if cp['cpdId'] in links:
                continue
            subnets, port = [], None
            for conf in cp.get('cpConfig', {}).values():
                if conf.get('linkPortId') is not None and port is None:
                    if conf['linkPortId'] not in ports:
                        raise ValueError(
                            'extVirtualLinks: cpConfig of %s names linkPortId '
                            '%r, which is not in that link\'s extLinkPorts'
                            % (cp['cpdId'], conf['linkPortId']))
                    port = ports[conf['linkPortId']]
                for proto in conf.get('cpProtocolData', []):
                    for ip in proto.get('ipOverEthernet', {}).get('ipAddresses', []):
                        if 'subnetId' in ip:
                            subnets.append(ip['subnetId'])
            links[cp['cpdId']] = (vl['resourceId'], subnets, port)
    return links


def _fill_cp(cp, value, links):
    if cp not in links:
        return
    network, subnets, port = links[cp]
    if 'network' in value:
        value['network'] = network
    if 'port' in value:
        value['port'] = port
    for i, ip in enumerate(value.get('fixed_ips') or []):
        if isinstance(ip, dict) and 'subnet' in ip and i < len(subnets):
            ip['subnet'] = subnets[i]


def _changed_cps(pkg, links):
    cps = {}
    for cp, value in pkg.skeleton().get('CP', {}).items():
        if cp not in links:
            continue
        _fill_cp(cp, value, links)
        cps[cp] = {k: v for k, v in value.items()
                   if k in ('network', 'port', 'fixed_ips')}
    return cps


def _get_params(node):
    """Every path of a list-form get_param under node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'get_param' and isinstance(value, list):
                yield value
            else:
                for p in _get_params(value):
                    yield p
    elif isinstance(node, list):
        for value in node:
            for p in _get_params(value):
                yield p


def _set_path(parent, path, value):
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        while len(parent) <= head:
            parent.append(None)
        if not rest:
            parent[head] = value
            return
        if parent[head] is None:
            parent[head] = [] if isinstance(rest[0], int) else {}
        _set_path(parent[head], rest, value)
        return
    if not rest:
        parent.setdefault(head, value)
        return
    child = parent.get(head)
    if child is None:
        child = parent[head] = [] if isinstance(rest[0], int) else {}
    _set_path(child, rest, value)


def _merge(target, patch):
    """RFC 7386 JSON merge patch, as Tacker applies additionalParams.nfv."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target


def _check_filled(node, path):
    if node is None:
        raise ValueError('%s: nothing in the request fills it (give it in '
                         'additionalParams.nfv or extVirtualLinks)' % path)
    if isinstance(node, dict):
        for key, value in node.items():
            _check_filled(value, '%s.%s' % (path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_filled(value, '%s.%d' % (path, i))
