"""Code shared by the OptiSigns and OpenSign sides: request handling and errors."""
