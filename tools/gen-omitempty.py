#!/usr/bin/env python3
"""Refreshes tools/omitempty.txt: which proto fields have `omitempty` in their Go JSON tag.

Usage: python3 tools/gen-omitempty.py GO_BINARY ../shared/k8s-api/v1.33/proto tools/omitempty.txt \
           > omitempty.new && mv omitempty.new tools/omitempty.txt

GO_BINARY is a Go program built from the Kubernetes release the proto files
come from that links the API types, e.g. kubectl 1.33
(/usr/lib/google-cloud-sdk/bin/kubectl.1.33). Go keeps every struct type's
fields and their tags in the binary for reflection; this reads them from the
runtime type data (Go 1.21+ layout, ELF, amd64/arm64), so the facts are the
real tags of that release.

Only the fields gen-schema.py would otherwise call required are listed: no
+optional/+required marker in the proto comments, not an embedded struct.
Lines of packages the binary does not contain (kubectl has no
apiextensions-apiserver or kube-aggregator types) are kept from the existing
file, where they were checked by hand against the upstream types.go files.
"""
import importlib.util
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_gen_schema():
    spec = importlib.util.spec_from_file_location('gen_schema', os.path.join(HERE, 'gen-schema.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def candidates(gs, root):
    """(full message name, proto field name) of every field without markers."""
    files = []
    for d, _, names in os.walk(root):
        files.extend(os.path.join(d, n) for n in names if n.endswith('.proto'))
    out = []
    for p in sorted(files):
        for m in gs.parse(p)[1]:
            if m['full'] in gs.SPECIALS or ('protobuf.nullable', 'true') in m['markers']:
                continue  # not objects in JSON
            for f in m['fields']:
                ks = {k for k, _ in f['markers']}
                if 'optional' in ks or 'required' in ks:
                    continue
                if gs.is_inline(m['name'], f['name'], f['type'], f['label']):
                    continue
                out.append((m['pkg'], m['name'], f['name']))
    return out


class GoTypes:
    """Named struct types of a Go ELF binary: {(pkgpath, name): [(field, tag)]}."""

    def __init__(self, path):
        with open(path, 'rb') as f:
            self.data = data = f.read()
        if data[:4] != b'\x7fELF' or data[4] != 2:
            sys.exit('%s: not a 64-bit ELF file' % path)
        shoff, = struct.unpack_from('<Q', data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', data, 0x3a)
        self.secs = []
        for i in range(shnum):
            name, typ, _, addr, off, size = struct.unpack_from('<IIQQQQ', data, shoff + i * shentsize)
            self.secs.append((name, typ, addr, off, size))
        stroff = self.secs[shstrndx][3]
        byname = {}
        for s in self.secs:
            end = data.index(b'\0', stroff + s[0])
            byname[data[stroff + s[0]:end].decode()] = s
        if '.typelink' not in byname or '.rodata' not in byname:
            sys.exit('%s: no Go type data (.typelink/.rodata)' % path)
        self.base = byname['.rodata'][2]
        tl = byname['.typelink']
        self.roots = [self.base + struct.unpack_from('<i', data, tl[3] + 4 * i)[0] for i in range(tl[4] // 4)]

    def off(self, va):
        for _, typ, addr, off, size in self.secs:
            if addr and typ != 8 and addr <= va < addr + size:  # 8: SHT_NOBITS
                return off + va - addr
        raise KeyError(va)

    def u8(self, va):
        return self.data[self.off(va)]

    def u64(self, va):
        return struct.unpack_from('<Q', self.data, self.off(va))[0]

    def i32(self, va):
        return struct.unpack_from('<i', self.data, self.off(va))[0]

    def varint(self, va):
        v = shift = 0
        while True:
            b = self.u8(va)
            va += 1
            v |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                return v, va

    def name(self, va):
        """A runtime name: (text, tag)."""
        flags = self.u8(va)
        n, p = self.varint(va + 1)
        text = self.data[self.off(p):self.off(p) + n].decode('utf-8', 'replace')
        tag = ''
        if flags & 2:
            tn, p = self.varint(p + n)
            tag = self.data[self.off(p):self.off(p) + tn].decode('utf-8', 'replace')
        return text, tag

    def structs(self):
        # abi.Type is 48 bytes: ..., tflag at 20, kind at 23, str nameOff at 40.
        # Struct: pkgPath at 48, fields slice at 56 (24-byte fields: name,
        # type, offset), then the uncommon type (pkgPath nameOff) at 80.
        out = {}
        seen = set()
        stack = list(self.roots)
        while stack:
            t = stack.pop()
            if not t or t in seen:
                continue
            seen.add(t)
            try:
                kind = self.u8(t + 23) & 0x1f
            except KeyError:
                continue
            if kind in (17, 22, 23):  # array, pointer, slice: elem at 48
                stack.append(self.u64(t + 48))
            elif kind == 21:  # map: key at 48, elem at 56
                stack.extend((self.u64(t + 48), self.u64(t + 56)))
            elif kind == 25:
                tflag = self.u8(t + 20)
                fields = []
                fp, n = self.u64(t + 56), self.u64(t + 64)
                for i in range(n):
                    fields.append(self.name(self.u64(fp + 24 * i)))
                    stack.append(self.u64(fp + 24 * i + 8))
                if tflag & 4 and tflag & 1:  # named, with an uncommon type
                    tname = self.name(self.base + self.i32(t + 40))[0]
                    if tflag & 2:
                        tname = tname[1:]
                    po = self.i32(t + 80)
                    pkg = self.name(self.base + po)[0] if po else ''
                    out[(pkg, tname.rsplit('.', 1)[-1])] = fields
        return out


def go_package(proto_pkg):
    return 'k8s.io/' + proto_pkg[len('k8s.io.'):].replace('.', '/').replace(
        'apiextensions_apiserver', 'apiextensions-apiserver').replace('kube_aggregator', 'kube-aggregator')


def main():
    if len(sys.argv) != 4:
        sys.exit('usage: gen-omitempty.py GO_BINARY PROTO_ROOT EXISTING_OMITEMPTY_TXT > NEW')
    gs = load_gen_schema()
    cands = candidates(gs, sys.argv[2])
    types = GoTypes(sys.argv[1]).structs()
    pkgs = {p for p, _ in types}
    kept, header = [], []
    with open(sys.argv[3], encoding='utf-8') as f:
        for line in f:
            if line.startswith('#'):
                header.append(line)
            elif line.strip():
                kept.append(line.strip())
    lines = set()
    for l in kept:
        msg = l.split()[0]
        if go_package(msg.rsplit('.', 1)[0]) not in pkgs:
            lines.add(l)
    unknown = 0
    for pkg, msg, field in cands:
        gp = go_package(pkg)
        if gp not in pkgs:
            continue
        fields = types.get((gp, msg))
        if fields is None:
            unknown += 1
            print('not in the binary: %s.%s %s' % (pkg, msg, field), file=sys.stderr)
            continue
        tag = None
        for _, t in fields:
            m = re.search(r'protobuf:"[^"]*\bname=([^,"]+)', t)
            if m and m.group(1) == field:
                tag = t
        if tag is None:
            unknown += 1
            print('no Go field for %s.%s %s' % (pkg, msg, field), file=sys.stderr)
            continue
        m = re.search(r'json:"([^"]*)"', tag)
        if m and 'omitempty' in m.group(1).split(',')[1:]:
            lines.add('%s.%s %s' % (pkg, msg, field))
    sys.stdout.write(''.join(header))
    for l in sorted(lines):
        print(l)
    print('%d lines, %d candidates not found' % (len(lines), unknown), file=sys.stderr)


if __name__ == '__main__':
    main()
