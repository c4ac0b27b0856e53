"""The API's routes, one APIRouter per resource; ytcaption.api.app includes them."""
