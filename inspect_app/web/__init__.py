"""The web layer: thin Litestar controllers (parse → query/service → template or JSON)."""

from inspect_app.web.api import ApiController
from inspect_app.web.audit import AuditController
from inspect_app.web.auth import AuthController
from inspect_app.web.capture import CaptureController
from inspect_app.web.capture_api import CaptureApiController
from inspect_app.web.evidence import EvidenceController
from inspect_app.web.checklist_editor import ChecklistEditorController
from inspect_app.web.checklists import ChecklistApiController, ChecklistController
from inspect_app.web.home import HomeController
from inspect_app.web.offline import OfflineController
from inspect_app.web.ops import OpsController
from inspect_app.web.plans import PlanController
from inspect_app.web.remediation import RemediationController, VisitRemediationController
from inspect_app.web.remediation_api import RemediationApiController
from inspect_app.web.evidence_package import EvidencePackageController
from inspect_app.web.dashboard import DashboardController
from inspect_app.web.documents import DocumentController, IssueApiController
from inspect_app.web.reports import ReportController, VisitDocumentController
from inspect_app.web.self_assessment import CampaignController, SelfAssessmentController
from inspect_app.web.self_assessment_api import SelfAssessmentApiController
from inspect_app.web.static import StaticController
from inspect_app.web.units import UnitController
from inspect_app.web.users import UserController
from inspect_app.web.visits import VisitController
from inspect_app.web.signing import SigningApiController, SigningController

ROUTE_HANDLERS = [
    ApiController, AuditController, AuthController, CaptureApiController, CaptureController, EvidenceController, ChecklistApiController, ChecklistController, ChecklistEditorController, HomeController, OfflineController, OpsController, PlanController,
    RemediationApiController, RemediationController, VisitRemediationController,
    CampaignController, SelfAssessmentApiController, SelfAssessmentController, StaticController, UnitController, UserController, VisitController,
    DashboardController, ReportController, VisitDocumentController, EvidencePackageController,
    SigningController, SigningApiController, DocumentController, IssueApiController,
]
