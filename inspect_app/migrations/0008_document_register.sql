-- 0008: the register of outgoing documents (sổ đăng ký văn bản đi, NĐ 30/2020 Điều 15–16).
-- One number sequence per issuer (its abbreviation, e.g. SNV) per year across every document type:
-- UNIQUE(issuer, year, number) is what makes concurrent issuing safe (the loser retries with the next
-- number). A visit's document is issued once: UNIQUE(visit_id, kind). `doc_id` is written into the PDF's
-- document information (/SoKiemTraDocId) before the row exists, so an altered copy is still recognised.
-- The frozen PDF is kept here, so the register and its files are backed up together. Append-only.

CREATE TABLE issued_documents (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 1),
    symbol TEXT NOT NULL,              -- "TB-SNV": document type and issuer abbreviation
    kind TEXT NOT NULL CHECK (kind IN ('minutes', 'notice')),
    visit_id INTEGER NOT NULL REFERENCES visits(id),
    issued_at TEXT NOT NULL,           -- UTC, ISO-8601
    issued_on TEXT NOT NULL,           -- the date in Vietnam printed on the document
    summary TEXT NOT NULL,             -- tên loại và trích yếu
    recipients TEXT NOT NULL,          -- nơi nhận, one per line
    signer TEXT NOT NULL,              -- người ký (authority line and name)
    signed INTEGER NOT NULL DEFAULT 0, -- 1 when the PDF carries a PAdES signature
    sha256 TEXT NOT NULL UNIQUE,       -- of `pdf`, byte for byte
    pdf BLOB NOT NULL,
    issued_by INTEGER REFERENCES users(id),
    UNIQUE (issuer, year, number),
    UNIQUE (visit_id, kind)
);

CREATE TRIGGER issued_documents_no_update BEFORE UPDATE ON issued_documents
BEGIN
    SELECT RAISE(ABORT, 'issued_documents is append-only');
END;

CREATE TRIGGER issued_documents_no_delete BEFORE DELETE ON issued_documents
BEGIN
    SELECT RAISE(ABORT, 'issued_documents is append-only');
END;
