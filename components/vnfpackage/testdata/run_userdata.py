"""Stands in for Tacker's conductor running a package's UserData class:
reads {"request", "vnf_instance", "grant_request", "grant_response",
"tmp_csar_dir", "is_rollback"} as JSON on stdin, imports the class the
request's additionalParams name from the extracted package (as Tacker does:
the package directory on sys.path, the path turned into a module name) and
prints the Heat stack fields it returns as JSON."""
import importlib
import json
import os
import sys

d = json.load(sys.stdin)
params = d['request']['additionalParams']
path = params['lcm-operation-user-data']
sys.path.append(d['tmp_csar_dir'])
module = importlib.import_module(
    os.path.splitext(path.lstrip('./'))[0].replace('/', '.'))
klass = getattr(module, params['lcm-operation-user-data-class'])
operation = d['grant_request']['operation'].lower()
if d.get('is_rollback'):
    operation += '_rollback'
fields = getattr(klass, operation)(d['request'], d['vnf_instance'],
                                   d['grant_request'], d['grant_response'],
                                   d['tmp_csar_dir'])
json.dump(fields, sys.stdout, sort_keys=True)
