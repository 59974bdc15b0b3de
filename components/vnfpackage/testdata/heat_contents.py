"""Reads a flavour's Heat templates the way `openstack stack create` does
(python-heatclient's template_utils), from a directory holding the top
template and its nested templates side by side, as Tacker hands them to
Heat (nested files keyed by their base name). argv[1] is the top template;
prints the files map's keys and the parsed top template as JSON."""
import json
import sys

from heatclient.common import template_utils

files, template = template_utils.get_template_contents(template_file=sys.argv[1])
print(json.dumps({'files': sorted(files), 'template': template}, default=str, sort_keys=True))
