"""AWS's prebuilt scikit-learn and XGBoost framework images for SageMaker Processing and Training ("Docker
Registry Paths and Example Code": one registry account per region, the same for both). Light on purpose:
``launchpad pipeline definition`` names the images, and the sandbox's processing and training patches stand
in for exactly these images (with the sandbox's own interpreter and packages).
"""

from __future__ import annotations

SKLEARN_REPOSITORY = "sagemaker-scikit-learn"
SKLEARN_VERSIONS = ("0.23-1", "1.0-1", "1.2-1", "1.4-2")
XGBOOST_REPOSITORY = "sagemaker-xgboost"
XGBOOST_VERSIONS = ("1.5-1", "1.7-1")
REGISTRIES = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


def sklearn_image(region: str, version: str) -> str:
    """The URI of AWS's scikit-learn image ``version`` in ``region`` (KeyError: no registry known there)."""
    return f"{REGISTRIES[region]}.dkr.ecr.{region}.amazonaws.com/{SKLEARN_REPOSITORY}:{version}-cpu-py3"


def xgboost_image(region: str, version: str) -> str:
    """The URI of AWS's XGBoost framework image ``version`` in ``region`` (script mode; has scikit-learn)."""
    return f"{REGISTRIES[region]}.dkr.ecr.{region}.amazonaws.com/{XGBOOST_REPOSITORY}:{version}"


def known(image: str, region: str) -> bool:
    """Whether ``image`` is one of these images of ``region``."""
    if region not in REGISTRIES:
        return False
    return image in {sklearn_image(region, v) for v in SKLEARN_VERSIONS} | {
        xgboost_image(region, v) for v in XGBOOST_VERSIONS
    }
