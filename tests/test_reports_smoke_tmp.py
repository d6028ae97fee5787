from reports_fixtures import reports_seed, rsettings, meta  # noqa
from conftest import run
from inspect_app.db import Database
from inspect_app.reports.visit_doc import build_visit_doc
from inspect_app.reports.docx_visit import minutes_docx, notice_docx
from inspect_app.reports.plan_data import build_plan_report

def test_smoke(rsettings, meta):
    async def go():
        db = await Database.open(rsettings.db_path)
        try:
            vd = await build_visit_doc(db, meta["current"]["visits"]["11560"], rsettings.evidence_dir)
            open("/tmp/rt/minutes.docx","wb").write(minutes_docx(vd))
            open("/tmp/rt/notice.docx","wb").write(notice_docx(vd))
            rep = await build_plan_report(db, meta["current"]["plan_id"])
            return vd, rep
        finally:
            await db.close()
    vd, rep = run(go())
    print(vd.points, vd.percent, len(vd.shortcomings), len(vd.evidence), vd.actions)
    for g in rep.groups:
        for r in g.rows: print(r.unit_name, r.percent, r.rank, r.earlier)
        print(g.common[:3]); print(g.area_stats[0]); print(g.below)
    print(rep.progress, rep.remediation)
