"""双人复核: every matter that moves money above a threshold needs a second person's approval (pure).

One rule for manual reimbursements, account payouts, re-issues of returned payments and the account paying
for the family: an amount ABOVE the threshold (default 10,000.00 元; exactly 10,000.00 needs none) needs a
reviewer who is not the clerk. Who may review (a role with `reimbursement.review`, the 双人复核 permission)
and the reviewer's password are checked by the shell that asks (console or command line); the service
refuses a matter above the threshold without a reviewer, or reviewed by its own clerk.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongchou.errors import Refused
from tongchou.money import Fen, yuan_text

DEFAULT_THRESHOLD: Fen = 1_000_000  # 10,000.00 元
PERMISSION = "reimbursement.review"


@dataclass(frozen=True)
class ReviewRule:
    threshold: Fen = DEFAULT_THRESHOLD

    def needs_review(self, amount: Fen) -> bool:
        return amount > self.threshold

    def check(self, amount: Fen, entered_by: str, reviewed_by: str | None, what: str,
              field: str = "reviewed_by") -> None:
        """Refuses (`Refused`, naming `field`) an amount above the threshold without a second person."""
        if not self.needs_review(amount):
            return
        limit = yuan_text(self.threshold, grouping=True)
        if not reviewed_by:
            raise Refused(field, f"{what}金额{yuan_text(amount, grouping=True)}超过{limit}，须经另一名有复核权限的"
                                 "工作人员复核（双人复核）。", "review_required")
        if reviewed_by == entered_by:
            raise Refused(field, "复核人须为经办人以外的另一人（双人复核）。", "same_person")
