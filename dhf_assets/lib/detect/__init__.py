"""Face detectors (MTCNN, RetinaFace, YuNet) behind one small interface."""
