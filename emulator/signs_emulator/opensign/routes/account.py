"""OpenSign API: the account (``getuser``) and its API credits (``getcredits``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..state import ApiError, iso
from .call import Call, operation

router = APIRouter()


@operation(router, "GET", "/getuser")
def get_user(call: Call) -> dict[str, Any]:
    user = call.env.user
    return {
        "objectId": user["objectId"],
        "name": user["name"],
        "email": user["email"],
        "phone": user["phone"],
        "jobTitle": user["jobTitle"],
        "company": user["company"],
        "createdAt": iso(user["created_at"]),
        "updatedAt": iso(user["created_at"]),
    }


@operation(router, "GET", "/getcredits")
def get_credits(call: Call) -> dict[str, Any]:
    credits = call.env.credits
    if not credits.subscription:
        raise ApiError(400, "Subscription not found!")
    return {
        "plan_credits": credits.plan,
        "addon_credits": credits.addon,
        "total_credits": credits.total,
        "renewal_date": iso(credits.renewal_date),
    }
