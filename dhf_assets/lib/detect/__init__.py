"""Face detectors (MTCNN, RetinaFace) behind one small interface."""
