"""Parses a CSAR with python3-tosca-parser as Tacker's package validation
does and prints what it found as JSON: argv[1] is the zip."""
import json
import sys
# tosca-parser 2.6.0's yamlparser uses urllib.error without importing it.
import urllib.error  # noqa: F401

from toscaparser.tosca_template import ToscaTemplate


def topology(tpl):
    return {
        'inputs': sorted(i.name for i in tpl.inputs),
        'node_templates': {n.name: {
            'type': n.type,
            'properties': {p.name: p.value for p in n.get_properties_objects()},
            'requirements': n.requirements,
        } for n in tpl.nodetemplates},
        'policies': {p.name: {
            'type': p.type,
            'targets': p.targets_list and [t.name for t in p.targets_list] or p.targets,
            'properties': p.properties,
        } for p in tpl.policies},
        'groups': {g.name: {'type': g.type, 'members': g.members} for g in tpl.groups},
    }


t = ToscaTemplate(sys.argv[1], None, True)
out = {'top': topology(t.topology_template), 'flavours': {}}
for nested in t.nested_tosca_templates_with_topology:
    sub = nested.substitution_mappings
    fid = sub.sub_mapping_def['properties']['flavour_id']
    out['flavours'][fid] = topology(nested)
    out['flavours'][fid]['node_type'] = sub.node_type
    out['flavours'][fid]['requirements'] = sub.sub_mapping_def.get('requirements')
print(json.dumps(out, default=str, sort_keys=True))
