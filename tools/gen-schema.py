#!/usr/bin/env python3
"""Generates src/schema/types_gen.c from the Kubernetes generated.proto files.

Usage: python3 tools/gen-schema.py ../shared/k8s-api/v1.33/proto > src/schema/types_gen.c

Only facts are emitted (message and field names, numbers, types, labels and
the +listType/+listMapKey/+patchMergeKey/+patchStrategy/+optional/+required
markers, and from tools/omitempty.txt whether the Go JSON tag says omitempty);
no comment text from the inputs is copied. Output is deterministic:
messages are sorted by full proto name so the C side can binary-search them.
"""
import os
import re
import sys

SCALARS = {
    'string': 'KAPI_PB_STRING', 'bytes': 'KAPI_PB_BYTES', 'bool': 'KAPI_PB_BOOL',
    'int32': 'KAPI_PB_INT32', 'int64': 'KAPI_PB_INT64', 'uint32': 'KAPI_PB_UINT32',
    'uint64': 'KAPI_PB_UINT64', 'double': 'KAPI_PB_DOUBLE', 'float': 'KAPI_PB_FLOAT',
}

# Short API package names whose group is not "<name>.k8s.io".
GROUP_EXCEPTIONS = {
    'core': '', 'apps': 'apps', 'batch': 'batch', 'autoscaling': 'autoscaling',
    'policy': 'policy', 'extensions': 'extensions',
    'apiserverinternal': 'internal.apiserver.k8s.io',
    'flowcontrol': 'flowcontrol.apiserver.k8s.io',
    'rbac': 'rbac.authorization.k8s.io',
}

# Messages whose JSON form is not "an object with one member per field".
SPECIALS = {
    'k8s.io.apimachinery.pkg.apis.meta.v1.Time': 'KAPI_SCHEMA_TIME',
    'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': 'KAPI_SCHEMA_MICROTIME',
    'k8s.io.apimachinery.pkg.apis.meta.v1.Duration': 'KAPI_SCHEMA_DURATION',
    'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': 'KAPI_SCHEMA_RAWJSON',
    'k8s.io.apimachinery.pkg.runtime.RawExtension': 'KAPI_SCHEMA_RAWEXT',
    'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'KAPI_SCHEMA_INTORSTRING',
    'k8s.io.apimachinery.pkg.api.resource.Quantity': 'KAPI_SCHEMA_QUANTITY',
    'k8s.io.apimachinery.pkg.api.resource.QuantityValue': 'KAPI_SCHEMA_QUANTITY',
}
for _v in ('v1', 'v1beta1'):
    _p = 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.%s.' % _v
    SPECIALS[_p + 'JSON'] = 'KAPI_SCHEMA_RAWJSON'
    SPECIALS[_p + 'JSONSchemaPropsOrBool'] = 'KAPI_SCHEMA_PROPS_OR_BOOL'
    SPECIALS[_p + 'JSONSchemaPropsOrArray'] = 'KAPI_SCHEMA_PROPS_OR_ARRAY'
    SPECIALS[_p + 'JSONSchemaPropsOrStringArray'] = 'KAPI_SCHEMA_PROPS_OR_STRARRAY'

# Proto field names that differ from the JSON names. Most come from proto
# names that were taken from the Go field name instead of the JSON tag; a
# leading capital is lowered except where the JSON name itself is capitalised.
JSON_NAME_OVERRIDES = {
    ('JSONSchemaProps', 'schema'): '$schema',
    ('JSONSchemaProps', 'ref'): '$ref',
    ('BoundObjectReference', 'uID'): 'uid',
    ('IngressClassParametersReference', 'aPIGroup'): 'apiGroup',
}
JSON_NAME_CAPITALISED = {('DaemonEndpoint', 'Port'), ('CustomResourceColumnDefinition', 'JSONPath'),
                         ('FieldsV1', 'Raw')}

# Go structs embedded with `json:",inline"`: the proto field is named after
# the type, while in JSON the embedded struct's fields sit in the parent.
INLINE_TYPES = {'VolumeSource', 'PersistentVolumeSource', 'IngressRuleValue', 'RuleWithOperations',
                'Rule', 'EphemeralContainerCommon', 'LocalObjectReference', 'DeviceConfiguration'}


# Embedded structs whose proto field is not named after the type.
INLINE_FIELDS = {('Probe', 'handler')}


def is_inline(msg, field, typ, label):
    short = typ.rsplit('.', 1)[-1]
    if (msg, field) in INLINE_FIELDS:
        return True
    return (label == 'optional' and short in INLINE_TYPES
            and field == short[0].lower() + short[1:])


def json_name(msg, field):
    if (msg, field) in JSON_NAME_OVERRIDES:
        return JSON_NAME_OVERRIDES[(msg, field)]
    if msg == 'JSONSchemaProps' and field.startswith('xKubernetes'):
        return 'x-kubernetes-' + re.sub(r'(?<!^)([A-Z])', r'-\1', field[len('xKubernetes'):]).lower()
    if field[0].isupper() and (msg, field) not in JSON_NAME_CAPITALISED:
        return field[0].lower() + field[1:]
    return field


def group_version(pkg):
    parts = pkg.split('.')
    if pkg.startswith('k8s.io.api.') and len(parts) == 5:
        short, ver = parts[3], parts[4]
        return GROUP_EXCEPTIONS.get(short, short + '.k8s.io'), ver
    m = re.match(r'k8s\.io\.apimachinery\.pkg\.apis\.meta\.(v\w+)$', pkg)
    if m:
        return 'meta.k8s.io', m.group(1)
    m = re.match(r'k8s\.io\.apiextensions_apiserver\.pkg\.apis\.apiextensions\.(v\w+)$', pkg)
    if m:
        return 'apiextensions.k8s.io', m.group(1)
    m = re.match(r'k8s\.io\.kube_aggregator\.pkg\.apis\.apiregistration\.(v\w+)$', pkg)
    if m:
        return 'apiregistration.k8s.io', m.group(1)
    return None, None


MARKER = re.compile(r'^\+([A-Za-z][\w.:()-]*)(?:=(.*))?$')
FIELD = re.compile(r'^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;')
MAPF = re.compile(r'^map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;')


def markers(comments):
    out = []
    for c in comments:
        m = MARKER.match(c.strip())
        if m:
            out.append((m.group(1), (m.group(2) or '').strip()))
    return out


def parse(path):
    pkg = None
    msgs = []
    cur = None
    comments = []
    in_block = False
    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.strip()
            if in_block:
                if '*/' in line:
                    in_block = False
                continue
            if line.startswith('/*'):
                in_block = '*/' not in line
                continue
            if line.startswith('//'):
                comments.append(line[2:])
                continue
            if not line:
                if cur is None:
                    comments = []
                continue
            if line.startswith('package '):
                pkg = line[len('package '):].rstrip(';').strip()
            elif line.startswith('message '):
                if cur is not None:
                    sys.exit('%s: nested messages are not supported' % path)
                name = line.split()[1]
                cur = {'name': name, 'full': pkg + '.' + name, 'pkg': pkg,
                       'fields': [], 'markers': markers(comments)}
            elif line == '}':
                msgs.append(cur)
                cur = None
            elif cur is not None:
                m = FIELD.match(line)
                mm = MAPF.match(line)
                if m:
                    label, typ, name, num = m.groups()
                    f = {'label': label, 'type': typ, 'name': name, 'num': int(num), 'map': None}
                elif mm:
                    kt, vt, name, num = mm.groups()
                    f = {'label': 'map', 'type': vt, 'name': name, 'num': int(num), 'map': kt}
                else:
                    sys.exit('%s: cannot parse %r' % (path, line))
                f['markers'] = markers(comments)
                cur['fields'].append(f)
            comments = []
    return pkg, msgs


def read_omitempty():
    """{(full message name, proto field name)} from tools/omitempty.txt."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'omitempty.txt')
    out = set()
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if line:
                out.add((line[0], line[1]))
    return out


def cstr(s):
    if s is None:
        return 'NULL'
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: gen-schema.py PROTO_ROOT > src/schema/types_gen.c')
    root = sys.argv[1]
    files = []
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith('.proto'):
                files.append(os.path.join(d, n))
    files.sort()
    msgs = []
    for p in files:
        msgs.extend(parse(p)[1])
    msgs.sort(key=lambda m: m['full'])
    index = {m['full']: i for i, m in enumerate(msgs)}

    def resolve(pkg, typ):
        if typ in SCALARS:
            return SCALARS[typ], -1
        full = typ[1:] if typ.startswith('.') else pkg + '.' + typ
        if full not in index:
            sys.exit('unresolved type %s in package %s' % (typ, pkg))
        return 'KAPI_PB_MESSAGE', index[full]

    pkgs = []
    for i, m in enumerate(msgs):
        if not pkgs or pkgs[-1]['name'] != m['pkg']:
            g, v = group_version(m['pkg'])
            pkgs.append({'name': m['pkg'], 'group': g, 'version': v, 'first': i, 'n': 0})
        pkgs[-1]['n'] += 1
        m['pkgidx'] = len(pkgs) - 1

    out = sys.stdout
    out.write('/* generated by tools/gen-schema.py; do not edit */\n')
    out.write('/* Source: Kubernetes v1.33 generated.proto files (%d messages). */\n' % len(msgs))
    out.write('#include "schema.h"\n\n')

    omitempty = read_omitempty()
    fields_out, numidx, byname, bynum = [], [], [], []
    msg_rows = []
    for m in msgs:
        first = len(fields_out)
        fs = m['fields']
        for f in fs:
            kind, ref = resolve(m['pkg'], f['type'])
            flags = []
            if f['label'] == 'repeated':
                flags.append('KAPI_SCHEMA_F_REPEATED')
            if is_inline(m['name'], f['name'], f['type'], f['label']):
                flags.append('KAPI_SCHEMA_F_INLINE')
            if f['label'] == 'map':
                flags.append('KAPI_SCHEMA_F_MAP')
                if f['map'] != 'string':
                    sys.exit('map key %s unsupported' % f['map'])
            lt, mapkeys, pmk, ps = 'KAPI_SCHEMA_LIST_NONE', [], None, 0
            for k, v in f['markers']:
                if k == 'optional':
                    flags.append('KAPI_SCHEMA_F_OPTIONAL')
                elif k == 'required':
                    flags.append('KAPI_SCHEMA_F_REQUIRED')
                elif k == 'listType':
                    lt = {'atomic': 'KAPI_SCHEMA_LIST_ATOMIC', 'set': 'KAPI_SCHEMA_LIST_SET',
                          'map': 'KAPI_SCHEMA_LIST_MAP'}[v]
                elif k == 'listMapKey':
                    mapkeys.append(v)
                elif k == 'patchMergeKey':
                    pmk = v
                elif k == 'patchStrategy':
                    for s in v.split(','):
                        ps |= {'merge': 1, 'retainKeys': 2, 'replace': 4}[s.strip()]
            if (m['full'], f['name']) in omitempty:
                flags.append('KAPI_SCHEMA_F_OMITEMPTY')
                omitempty.discard((m['full'], f['name']))
            flags = sorted(set(flags))
            jn = json_name(m['name'], f['name'])
            fields_out.append('{%s,%d,%d,%s,%s,%s,%d,%d,%s,%s}' % (
                cstr(jn), len(jn.encode()), f['num'], kind,
                '|'.join(flags) or '0', lt, ps, ref,
                cstr(pmk), cstr(','.join(mapkeys) if mapkeys else None)))
        maxnum = max([f['num'] for f in fs], default=0)
        if maxnum > 4096:
            sys.exit('%s: field number %d too large for the dense index' % (m['full'], maxnum))
        numbase = len(numidx)
        tab = [0] * (maxnum + 1)
        for i, f in enumerate(fs):
            tab[f['num']] = i + 1
        numidx.extend(tab)
        namebase = len(byname)
        byname.extend(sorted(range(len(fs)), key=lambda i: json_name(m['name'], fs[i]['name']).encode()))
        numbase2 = len(bynum)
        bynum.extend(sorted(range(len(fs)), key=lambda i: fs[i]['num']))
        mflags = []
        for k, v in m['markers']:
            if k == 'protobuf.nullable' and v == 'true':
                mflags.append('KAPI_SCHEMA_M_SLICE')
        msg_rows.append('{%s,%s,%d,%d,%d,%d,%d,%d,%d,%s,%s}' % (
            cstr(m['full']), cstr(m['name']), m['pkgidx'], first, len(fs), numbase, maxnum,
            namebase, numbase2, SPECIALS.get(m['full'], 'KAPI_SCHEMA_PLAIN'),
            '|'.join(mflags) or '0'))

    if omitempty:
        sys.exit('tools/omitempty.txt names unknown fields: %s' % sorted(omitempty)[:5])

    def emit_list(decl, rows, per_line):
        out.write(decl + ' = {\n')
        for i in range(0, len(rows), per_line):
            out.write(','.join(rows[i:i + per_line]) + ',\n')
        out.write('};\n')

    out.write('const struct kapi_schema_pkg kapi_schema_pkgs[] = {\n')
    for p in pkgs:
        out.write('{%s,%s,%s,%d,%d},\n' % (cstr(p['name']), cstr(p['group']), cstr(p['version']),
                                          p['first'], p['n']))
    out.write('};\nconst size_t kapi_schema_npkgs = %d;\n\n' % len(pkgs))
    emit_list('const struct kapi_schema_msg kapi_schema_msgs[]', msg_rows, 1)
    out.write('const size_t kapi_schema_nmsgs = %d;\n\n' % len(msgs))
    emit_list('const struct kapi_schema_field kapi_schema_fields[]', fields_out, 1)
    out.write('const size_t kapi_schema_nfields = %d;\n\n' % len(fields_out))
    emit_list('const uint16_t kapi_schema_numidx[]', [str(x) for x in numidx], 32)
    emit_list('const uint16_t kapi_schema_byname[]', [str(x) for x in byname], 32)
    emit_list('const uint16_t kapi_schema_bynum[]', [str(x) for x in bynum], 32)


if __name__ == '__main__':
    main()
