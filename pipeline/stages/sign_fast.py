"""The fast path of `sign.sign_pdf`: PAdES B-B and B-T on an unsigned PDF, with what does not
change from one document to the next built once per signer.

pyHanko spends ~99 % of a signature in Python that gives the same result for every document of a
batch: the CMS structure around the certificates, the stamp's appearance stream and its font
subset, the QR code of the same payload. `PreparedSigner` (one per signer, kept while the signer
lives) builds them once:

- a CMS template made by pyHanko's own signer for a dummy digest, split into its DER pieces: per
  document only the message digest in the signed attributes and the signature value change (and,
  at B-T, the timestamp token in the unsigned attributes);
- the stamp's appearance form XObject and its embedded font subset, rendered by pyHanko once per
  shown text (the text changes with the signing time, i.e. once a second) and serialised once per
  first free object number;
- the QR code's drawing operators per payload.

Per document it then reads the PDF's trailer, catalog and page (pyHanko's reader), writes one
incremental update itself — the page (annotation, QR streams), the catalog (AcroForm, the ESIC
extension as pyHanko writes it), the widget, the signature dictionary, the appearance objects and
an xref section of the kind the file already uses — hashes the byte ranges and signs.

`refusal(pdf, spec, signer)` says why a spec must go the full pyHanko way instead (a long-term
level, certification); `PreparedSigner.sign` raises FastPathUnsuitable for a PDF it does not
write for (a form — so perhaps signed —, permissions, encryption, a hybrid cross-reference, an
odd page tree), and `sign.sign_pdf` then signs with pyHanko's `PdfSigner`.
Nothing here alters the input bytes: the output is the input plus the update.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
import os
import re
import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
from asn1crypto import cms, tsp
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, handle_tsp_response
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

from pipeline.stages import stamp

log = logging.getLogger(__name__)

#: Room kept for a B-T timestamp token (the TSA's certificates and signature) beyond the B-B CMS.
TIMESTAMP_ROOM = 24_576
#: Appearance objects serialised per (stamp, first free object number), kept per signer.
APPEARANCES_KEPT = 64


def refusal(pdf: bytes, spec, signer: signers.Signer) -> str | None:
    """Why `spec` cannot take the fast path (None: it can). What the PDF itself must be (no form,
    hence no signature; no permissions; not encrypted) `PreparedSigner.sign` checks once it has
    read the catalog, raising FastPathUnsuitable."""
    if spec.level not in ("B-B", "B-T"):
        return f"level {spec.level} embeds revocation data"
    if spec.certify:
        return "certification (DocMDP)"
    if signer.signing_cert is None:
        return "the signer has no certificate"
    return None


def prepared(signer: signers.Signer) -> PreparedSigner:
    """The signer's prepared pieces, built on first use and kept while the signer lives."""
    with _PREPARED_LOCK:
        found = _PREPARED.get(signer)
        if found is None:
            found = _PREPARED[signer] = PreparedSigner(signer)
        return found


_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PREPARED_LOCK = threading.Lock()


class FastPathUnsuitable(Exception):
    """The PDF's structure is not one the fast path writes for; the full path signs it."""


# --- DER ------------------------------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + content


class CmsTemplate:
    """pyHanko's CMS SignedData for this signer, cut into the DER pieces that do not change."""

    def __init__(self, signer: signers.Signer, digest_algorithm: str):
        self.digest_algorithm = digest_algorithm
        self._dummy_digest = os.urandom(hashlib.new(digest_algorithm).digest_size)
        made = asyncio.run(signer.async_sign(self._dummy_digest, digest_algorithm, use_pades=True))
        signed_data = made["content"]
        [signer_info] = signed_data["signer_infos"]
        if signer_info["unsigned_attrs"].native:
            raise FastPathUnsuitable("the signer adds unsigned attributes of its own")
        self._outer_type = made["content_type"].dump()
        self._signed_data_head = b"".join(
            signed_data[name].dump() for name in
            ("version", "digest_algorithms", "encap_content_info", "certificates", "crls")
            if signed_data[name].contents is not None)
        self._info_head = b"".join(signer_info[name].dump()
                                   for name in ("version", "sid", "digest_algorithm"))
        self._attributes = signer_info["signed_attrs"].dump()  # [0] IMPLICIT, 0xA0
        self._signature_algorithm = signer_info["signature_algorithm"].dump()
        self._digest_at = self._attributes.index(self._dummy_digest)
        if self._attributes.count(self._dummy_digest) != 1:
            raise FastPathUnsuitable("the message digest is not found once in the signed attributes")
        rebuilt = self.assemble(self._attributes, signer_info["signature"].native, b"")
        if rebuilt != made.dump():
            raise FastPathUnsuitable("the CMS template does not reassemble to pyHanko's own")
        self.size = len(rebuilt)

    def signed_attributes(self, document_digest: bytes) -> bytes:
        """The signed attributes for this digest, tagged [0] as they sit in the SignerInfo."""
        at = self._digest_at
        return self._attributes[:at] + document_digest + self._attributes[at + len(document_digest):]

    def assemble(self, attributes: bytes, signature: bytes, unsigned: bytes) -> bytes:
        info = _der(0x30, self._info_head + attributes + self._signature_algorithm
                    + _der(0x04, signature) + unsigned)
        signed_data = _der(0x30, self._signed_data_head + _der(0x31, info))
        return _der(0x30, self._outer_type + _der(0xA0, signed_data))


# --- the prepared signer -------------------------------------------------------------------


@dataclass(frozen=True)
class Appearance:
    """The stamp's form XObject and its font objects, serialised with object numbers from
    `first_id`: `bodies` are (object number, 'N 0 obj … endobj' bytes), the XObject first."""

    first_id: int
    bodies: tuple[tuple[int, bytes], ...]


class PreparedSigner:
    def __init__(self, signer: signers.Signer):
        from pipeline.stages.sign import DIGEST, KeptKeySigner

        # Weakly: the prepared pieces live in a WeakKeyDictionary keyed by the signer, and a
        # strong reference from here would keep both alive for ever.
        self._signer = weakref.ref(signer)
        self._kept_key = isinstance(signer, KeptKeySigner)
        self.cms = CmsTemplate(signer, DIGEST)
        self._rendered: dict[tuple, tuple] = {}  # stamp key -> (xobject, objects) in a scratch writer
        self._appearances: dict[tuple, Appearance] = {}
        self._lock = threading.Lock()

    # The per-document work ----------------------------------------------------------------

    def sign(self, pdf: bytes, spec, *, signing_timeout: float = 30.0) -> bytes:
        from pipeline.stages.sign import _appearance

        signer = self._signer()
        if signer is None:  # pragma: no cover - callers hold the signer they sign with
            raise FastPathUnsuitable("the signer is gone")
        reader = _reader(pdf)
        startxref = _last_startxref(pdf)
        xref_stream = pdf[startxref:startxref + 4] != b"xref"
        trailer = reader.trailer
        if "/XRefStm" in trailer or "/Encrypt" in trailer or reader.encrypted:
            raise FastPathUnsuitable("hybrid or encrypted cross-reference")
        if "/Info" in trailer and not isinstance(trailer.raw_get("/Info"), generic.IndirectObject):
            raise FastPathUnsuitable("the document information is not an indirect object")
        root_ref = reader.root_ref
        root = reader.root
        if "/AcroForm" in root or "/Perms" in root:
            # A signature counts only as a field of the AcroForm: without one the PDF is unsigned.
            raise FastPathUnsuitable("the PDF has a form (perhaps signed) or permissions")
        pages = _PageTree(root)
        signed_at = datetime.now(UTC).replace(microsecond=0)

        next_id = int(trailer["/Size"])
        sig_id, widget_id = next_id, next_id + 1
        next_id += 2
        objects: list[tuple[int, int, bytes]] = []  # (id, generation, body between obj/endobj)
        page_updates: dict[int, dict] = {}

        if spec.qr is not None:
            width, height = pages.size(0)
            before, after = next_id, next_id + 1
            next_id += 2
            objects.append((before, 0, _stream(b"q\n")))
            objects.append((after, 0, _stream(b"Q\n" + _qr_operators(spec.qr, stamp.qr_box(width, height)))))
            page_updates.setdefault(0, {})["contents"] = (before, after)

        visible = spec.visible
        if visible:
            page, box, style, params = _appearance(pages.size, spec, signer, pages.count)
        else:
            page, box, style, params = 0, (0, 0, 0, 0), None, {}
        page_updates.setdefault(page, {})["annotation"] = widget_id
        appearance = None
        if visible:
            params = dict(params, ts=signed_at.strftime(style.timestamp_format))
            appearance = self._appearance(style, spec, box, params, next_id)
            next_id = appearance.first_id + len(appearance.bodies)

        for index, update in page_updates.items():
            page_ref = pages.reference(index)
            objects.append((page_ref.idnum, page_ref.generation,
                            _updated_page(page_ref.get_object(), update)))
        widget_page = pages.reference(page)
        objects.append((root_ref.idnum, root_ref.generation, _updated_catalog(root, widget_id)))
        objects.append((widget_id, 0, _widget(spec.kind, box, widget_page,
                                              appearance.first_id if appearance else None, sig_id)))
        reserved = self.cms.size + 32 + (TIMESTAMP_ROOM if spec.level == "B-T" else 0)
        sig_head, sig_tail = _signature_dictionary(spec, signed_at, reserved)

        # Write the update: objects, then the cross-reference section and trailer.
        update = bytearray(b"" if pdf.endswith(b"\n") else b"\n")
        base = len(pdf)
        offsets: dict[tuple[int, int], int] = {}
        offsets[(sig_id, 0)] = base + len(update)
        update += b"%d 0 obj\n" % sig_id + sig_head
        contents_at = base + len(update)
        update += b"<" + b"0" * (2 * reserved) + b">"
        contents_end = base + len(update)
        update += sig_tail + b"\nendobj\n"
        for idnum, generation, body in objects:
            offsets[(idnum, generation)] = base + len(update)
            update += b"%d %d obj\n" % (idnum, generation) + body + b"\nendobj\n"
        if appearance is not None:
            for idnum, body in appearance.bodies:
                offsets[(idnum, 0)] = base + len(update)
                update += body
        size = next_id
        identifiers = _identifiers(trailer)
        xref_at = base + len(update)
        if xref_stream:
            offsets[(size, 0)] = xref_at
            update += _xref_stream(size, offsets, trailer, root_ref, identifiers, startxref)
        else:
            update += _xref_table(size, offsets, trailer, root_ref, identifiers, startxref)
        update += b"startxref\n%d\n%%%%EOF\n" % xref_at

        # Byte range, digest, CMS.
        total = base + len(update)
        byte_range = b"[0 %d %d %d]" % (contents_at, contents_end, total - contents_end)
        placeholder = sig_tail.index(_BYTE_RANGE_PLACEHOLDER)
        range_at = contents_end - base + placeholder
        update[range_at:range_at + len(_BYTE_RANGE_PLACEHOLDER)] = byte_range.ljust(
            len(_BYTE_RANGE_PLACEHOLDER))
        digest = hashlib.new(self.cms.digest_algorithm)
        digest.update(pdf)
        digest.update(memoryview(update)[:contents_at - base])
        digest.update(memoryview(update)[contents_end - base:])
        attributes = self.cms.signed_attributes(digest.digest())
        to_sign = b"\x31" + attributes[1:]  # signed over as a SET OF, not as the [0] it sits in
        if self._kept_key:
            signature = signer.sign_raw(to_sign, self.cms.digest_algorithm)
        else:
            signature = asyncio.run(signer.async_sign_raw(to_sign, self.cms.digest_algorithm))
        unsigned = b""
        if spec.level == "B-T":
            unsigned = _timestamp_attribute(spec.tsa_url, signature, self.cms.digest_algorithm,
                                            signing_timeout)
        container = self.cms.assemble(attributes, signature, unsigned).hex().encode()
        if len(container) > 2 * reserved:
            raise FastPathUnsuitable("the signature container outgrew its room")
        update[contents_at - base + 1:contents_at - base + 1 + len(container)] = container
        return pdf + bytes(update)

    # Appearance ---------------------------------------------------------------------------

    def _appearance(self, style, spec, box, params: dict, first_id: int) -> Appearance:
        width, height = box[2] - box[0], box[3] - box[1]
        images = tuple(hashlib.sha256(image).digest() if image else None
                       for image in (spec.signature_image, spec.seal_image))
        key = (type(style), style.stamp_text, style.border_width, style.display_offset_hours,
               images, width, height, tuple(sorted(params.items())))
        with self._lock:
            found = self._appearances.get((key, first_id))
            if found is not None:
                return found
            rendered = self._rendered.get(key)
            if rendered is None:
                rendered = self._rendered[key] = _render(style, width, height, params)
                while len(self._rendered) > APPEARANCES_KEPT:
                    self._rendered.pop(next(iter(self._rendered)))
            made = _serialise(rendered, first_id)
            self._appearances[(key, first_id)] = made
            while len(self._appearances) > APPEARANCES_KEPT:
                self._appearances.pop(next(iter(self._appearances)))
            return made


def _render(style, width: float, height: float, params: dict) -> list:
    """The stamp drawn by pyHanko into a scratch writer: its XObject and every object it reaches
    (font, descendant font, descriptor, font file, ToUnicode, images), the XObject first."""
    scratch = PdfFileWriter(stream_xrefs=False, init_page_tree=False)
    drawn = style.create_stamp(scratch, BoxConstraints(width=width, height=height), params)
    reference = drawn.register()
    # What pyHanko does just before writing: subset and embed the fonts used (private API).
    for resources in scratch._font_resources.values():
        for engine in resources.subsets.values():
            engine.prepare_write()
    order: dict[tuple[int, int], generic.PdfObject] = {}

    def visit(value):
        if isinstance(value, generic.IndirectObject):
            key = (value.idnum, value.generation)
            if key not in order:
                order[key] = target = value.get_object()
                visit(target)
        elif isinstance(value, generic.DictionaryObject):
            for name in list(value.keys()):
                visit(value.raw_get(name))
        elif isinstance(value, generic.ArrayObject):
            for item in value:
                visit(item)

    visit(reference)
    return list(order.items())


def _serialise(rendered: list, first_id: int) -> Appearance:
    numbers = {key: first_id + position for position, (key, _) in enumerate(rendered)}

    def copy(value):
        if isinstance(value, generic.IndirectObject):
            return generic.IndirectObject(numbers[(value.idnum, value.generation)], 0, None)
        if isinstance(value, generic.StreamObject):
            copied = generic.StreamObject(
                {name: copy(value.raw_get(name)) for name in value.keys()},
                encoded_data=value.encoded_data)
            return copied
        if isinstance(value, generic.DictionaryObject):
            return generic.DictionaryObject({name: copy(value.raw_get(name)) for name in value.keys()})
        if isinstance(value, generic.ArrayObject):
            return generic.ArrayObject([copy(item) for item in value])
        return value

    bodies = []
    for key, value in rendered:
        out = io.BytesIO()
        copy(value).write_to_stream(out, None, None)
        idnum = numbers[key]
        bodies.append((idnum, b"%d 0 obj\n" % idnum + out.getvalue() + b"\nendobj\n"))
    return Appearance(first_id=first_id, bodies=tuple(bodies))


@functools.lru_cache(maxsize=64)
def _qr_operators(payload: stamp.QrPayload, box) -> bytes:
    return stamp.qr_content_stream(payload, box)


# --- reading ---------------------------------------------------------------------------------


def _reader(pdf: bytes) -> PdfFileReader:
    try:
        return PdfFileReader(io.BytesIO(pdf), strict=False)
    except Exception as exc:
        raise FastPathUnsuitable("the PDF cannot be read") from exc


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


def _last_startxref(pdf: bytes) -> int:
    found = _STARTXREF.search(pdf[-1024:])
    if found is None:
        raise FastPathUnsuitable("no startxref at the end of the file")
    return int(found.group(1))


class _PageTree:
    """The pages of one document, found by walking /Kids with /Count: only the nodes on the way
    to a page are read (pyHanko's walk reads every page before it, from the object stream)."""

    def __init__(self, root: generic.DictionaryObject):
        self._root = root["/Pages"]
        self.count = int(self._root["/Count"])
        self._found: dict[int, generic.IndirectObject] = {}

    def reference(self, index: int) -> generic.IndirectObject:
        if index not in self._found:
            if not 0 <= index < self.count:
                raise FastPathUnsuitable(f"no page {index + 1}")
            node, left = self._root, index
            for _depth in range(64):
                found, node, left = self._step(node, left)
                if found is not None:
                    self._found[index] = found
                    break
            else:
                raise FastPathUnsuitable("the page tree is too deep")
        return self._found[index]

    @staticmethod
    def _step(node, left: int):
        """(the page, None, 0) if it is a kid of `node`, else (None, the kid holding it, its
        index there)."""
        kids = node.raw_get("/Kids")
        kids = list(kids.get_object() if isinstance(kids, generic.IndirectObject) else kids)
        if int(node["/Count"]) == len(kids) and left < len(kids):
            # As many pages as kids: usually every kid is a page, and only that one is read.
            kid = kids[left]
            if isinstance(kid, generic.IndirectObject) and kid.get_object().get("/Type") != "/Pages":
                return kid, None, 0
        for kid in kids:
            target = kid.get_object()
            if target.get("/Type") == "/Pages":
                count = int(target["/Count"])
                if left < count:
                    return None, target, left
                left -= count
            elif left == 0:
                if not isinstance(kid, generic.IndirectObject):
                    raise FastPathUnsuitable("a page is not an indirect object")
                return kid, None, 0
            else:
                left -= 1
        raise FastPathUnsuitable("the page tree's counts do not match its pages")

    def size(self, index: int) -> tuple[float, float]:
        """(width, height) of the page's MediaBox, inherited from its parents if need be."""
        node = self.reference(index).get_object()
        for _depth in range(64):
            if "/MediaBox" in node:
                x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
                return x2 - x1, y2 - y1
            if "/Parent" not in node:
                break
            node = node["/Parent"]
        raise FastPathUnsuitable("a page has no MediaBox")


def _identifiers(trailer) -> tuple[bytes, bytes]:
    first = None
    try:
        found = trailer["/ID"][0]
        first = bytes(getattr(found, "original_bytes", found))
    except (KeyError, IndexError, TypeError):
        pass
    new = os.urandom(16)
    return first or new, new


# --- writing ---------------------------------------------------------------------------------


def _write(value) -> bytes:
    out = io.BytesIO()
    value.write_to_stream(out, None, None)
    return out.getvalue()


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _updated_page(page: generic.DictionaryObject, update: dict) -> bytes:
    copied = generic.DictionaryObject({name: page.raw_get(name) for name in page.keys()})
    if "contents" in update:
        before, after = update["contents"]
        existing = page.raw_get("/Contents") if "/Contents" in page else None
        items = []
        if isinstance(existing, generic.IndirectObject):
            target = existing.get_object()
            items = list(target) if isinstance(target, generic.ArrayObject) else [existing]
        elif isinstance(existing, generic.ArrayObject):
            items = list(existing)
        elif existing is not None:
            raise FastPathUnsuitable("the page's /Contents is neither a stream nor an array")
        copied[generic.pdf_name("/Contents")] = generic.ArrayObject(
            [generic.IndirectObject(before, 0, None), *items, generic.IndirectObject(after, 0, None)])
    if "annotation" in update:
        annotations = page.raw_get("/Annots") if "/Annots" in page else generic.ArrayObject()
        if isinstance(annotations, generic.IndirectObject):
            annotations = annotations.get_object()
        if not isinstance(annotations, generic.ArrayObject):
            raise FastPathUnsuitable("the page's /Annots is not an array")
        copied[generic.pdf_name("/Annots")] = generic.ArrayObject(
            [*annotations, generic.IndirectObject(update["annotation"], 0, None)])
    return _write(copied)


#: The PAdES extension declaration pyHanko writes in the catalog (ETSI EN 319 142-1).
_ESIC = generic.DictionaryObject({
    generic.pdf_name("/Type"): generic.pdf_name("/DeveloperExtensions"),
    generic.pdf_name("/BaseVersion"): generic.pdf_name("/1.7"),
    generic.pdf_name("/ExtensionLevel"): generic.NumberObject(1),
})


def _updated_catalog(root: generic.DictionaryObject, widget_id: int) -> bytes:
    copied = generic.DictionaryObject({name: root.raw_get(name) for name in root.keys()})
    copied[generic.pdf_name("/AcroForm")] = generic.DictionaryObject({
        generic.pdf_name("/Fields"): generic.ArrayObject([generic.IndirectObject(widget_id, 0, None)]),
        generic.pdf_name("/SigFlags"): generic.NumberObject(3),
    })
    extensions = root.raw_get("/Extensions") if "/Extensions" in root else None
    if isinstance(extensions, generic.IndirectObject):
        extensions = extensions.get_object()
    if extensions is None:
        extensions = generic.DictionaryObject()
    elif not isinstance(extensions, generic.DictionaryObject):
        raise FastPathUnsuitable("the catalog's /Extensions is not a dictionary")
    if "/ESIC" not in extensions:
        extensions = generic.DictionaryObject(
            {name: extensions.raw_get(name) for name in extensions.keys()})
        extensions[generic.pdf_name("/ESIC")] = _ESIC
    copied[generic.pdf_name("/Extensions")] = extensions
    return _write(copied)


def _widget(kind: str, box, page_ref, appearance_id: int | None, sig_id: int) -> bytes:
    """The signature field merged with its widget, as pyHanko makes it (print + locked)."""
    rect = b"[%s]" % b" ".join(b"%d" % round(v) for v in box)
    appearance = b" /AP << /N %d 0 R >>" % appearance_id if appearance_id is not None else b""
    name = _write(generic.pdf_string(f"{kind}-1"))
    return (b"<< /FT /Sig /T " + name + b" /Type /Annot /Subtype /Widget /F 132 /Rect " + rect
            + b" /P %d %d R" % (page_ref.idnum, page_ref.generation) + appearance
            + b" /V %d 0 R >>" % sig_id)


_BYTE_RANGE_PLACEHOLDER = b"[0 0000000000 0000000000 0000000000]"


def _signature_dictionary(spec, signed_at: datetime, reserved: int) -> tuple[bytes, bytes]:
    """(the dictionary up to /Contents, what follows the hex) with a /ByteRange to fill in."""
    tail = [b" /ByteRange " + _BYTE_RANGE_PLACEHOLDER, b" /Type /Sig /Filter /Adobe.PPKLite",
            b" /SubFilter /ETSI.CAdES.detached", b" /M " + _write(generic.pdf_date(signed_at))]
    for name, value in (("/Name", spec.signer_name), ("/Reason", spec.reason),
                        ("/Location", spec.location)):
        if value:
            tail.append(b" " + name.encode() + b" " + _write(generic.pdf_string(value)))
    return b"<< /Contents ", b"".join(tail) + b" >>"


def _trailer_entries(size: int, trailer, root_ref, identifiers, prev: int) -> bytes:
    entries = [b"/Size %d" % size, b"/Root %d %d R" % (root_ref.idnum, root_ref.generation)]
    if "/Info" in trailer:
        info = trailer.raw_get("/Info")
        if isinstance(info, generic.IndirectObject):
            entries.append(b"/Info %d %d R" % (info.idnum, info.generation))
    entries.append(b"/ID [<%s> <%s>]" % (identifiers[0].hex().encode(), identifiers[1].hex().encode()))
    entries.append(b"/Prev %d" % prev)
    return b" ".join(entries)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((number, 1))
    return runs


def _xref_table(size, offsets, trailer, root_ref, identifiers, prev) -> bytes:
    by_number = {idnum: (offset, generation) for (idnum, generation), offset in offsets.items()}
    out = [b"xref\n"]
    for start, count in _runs(sorted(by_number)):
        out.append(b"%d %d\n" % (start, count))
        for number in range(start, start + count):
            offset, generation = by_number[number]
            out.append(b"%010d %05d n\r\n" % (offset, generation))
    out.append(b"trailer\n<< " + _trailer_entries(size, trailer, root_ref, identifiers, prev) + b" >>\n")
    return b"".join(out)


def _xref_stream(size, offsets, trailer, root_ref, identifiers, prev) -> bytes:
    """An uncompressed cross-reference stream (type 1 entries: offset, generation), itself the
    object number `size` (hence /Size size + 1)."""
    by_number = {idnum: (offset, generation) for (idnum, generation), offset in offsets.items()}
    runs = _runs(sorted(by_number))
    rows = b"".join(b"\x01" + by_number[n][0].to_bytes(8, "big") + by_number[n][1].to_bytes(2, "big")
                    for start, count in runs for n in range(start, start + count))
    index = b" ".join(b"%d %d" % run for run in runs)
    head = (b"%d 0 obj\n<< /Type /XRef /W [1 8 2] /Index [" % size + index + b"] "
            + _trailer_entries(size + 1, trailer, root_ref, identifiers, prev)
            + b" /Length %d >>\nstream\n" % len(rows))
    return head + rows + b"\nendstream\nendobj\n"


# --- timestamp ---------------------------------------------------------------------------


def _timestamp_attribute(tsa_url: str, signature: bytes, digest_algorithm: str,
                         timeout: float) -> bytes:
    """The unsigned attributes [1] with an RFC 3161 token over the signature value."""
    from pipeline.stages.sign import SigningFailed

    imprint = hashlib.new(digest_algorithm, signature).digest()
    try:
        token = _timestamper(tsa_url, timeout).timestamp_now(imprint, digest_algorithm)
    except Exception as exc:
        raise SigningFailed(f"signing failed: the timestamp authority {tsa_url} did not answer "
                            f"with a timestamp: {type(exc).__name__}: {exc}", reason="tsa_unreachable") from exc
    attribute = cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})
    return _der(0xA1, attribute.dump())


@functools.lru_cache(maxsize=8)
def _timestamper(tsa_url: str, timeout: float):
    return KeptSessionTimeStamper(tsa_url, timeout=timeout)


class KeptSessionTimeStamper(RequestsHTTPTimeStamper):
    """pyHanko's requests timestamper with one kept-alive HTTP session per thread, asked
    synchronously: pyHanko's default (aiohttp) opens a session and builds a TLS context for every
    token (~25 ms), and its requests client opens a new connection in a new thread."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def timestamp_now(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        nonce, request = self.request_cms(message_digest, md_algorithm)
        try:
            answer = self._session().post(self.url, request.dump(), headers=self.request_headers(),
                                          auth=self.auth, timeout=self.timeout)
        except OSError as exc:  # requests' errors are OSErrors
            raise TimestampRequestError("Error in communication with timestamp server") from exc
        if answer.headers.get("Content-Type") != "application/timestamp-reply":
            raise TimestampRequestError("Timestamp server response is malformed.", answer)
        return handle_tsp_response(tsp.TimeStampResp.load(answer.content), nonce)
